#!/usr/bin/env node
// `cl_status`: entry point registered in package.json; the client API arrives with issue #6.
import { notImplementedYet } from './not-yet.js';

notImplementedYet('cl_status', 'the client API arrives with issue #6');
