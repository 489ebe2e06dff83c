#!/usr/bin/env node
// `hb_takeover`: entry point registered in package.json; resource hand-over arrives with issue #5.
import { notImplementedYet } from './not-yet.js';

notImplementedYet('hb_takeover', 'resource hand-over arrives with issue #5');
