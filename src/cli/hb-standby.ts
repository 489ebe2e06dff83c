#!/usr/bin/env node
// `hb_standby`: entry point registered in package.json; resource hand-over arrives with issue #5.
import { notImplementedYet } from './not-yet.js';

notImplementedYet('hb_standby', 'resource hand-over arrives with issue #5');
