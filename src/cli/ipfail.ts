#!/usr/bin/env node
// `ipfail`: entry point registered in package.json; ipfail arrives with issue #6.
import { notImplementedYet } from './not-yet.js';

notImplementedYet('ipfail', 'ipfail arrives with issue #6');
