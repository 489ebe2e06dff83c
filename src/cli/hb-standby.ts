#!/usr/bin/env node
// `hb_standby [all|foreign|local|failback]`: ask the running node to give resources to the other node.
import { COMMON_USAGE } from './options.js';
import { runSetCommand } from './resource-set-command.js';

process.exitCode = runSetCommand(
  {
    name: 'hb_standby',
    usage: `usage: hb_standby [all|foreign|local|failback] [options]
  Hand this node's resources to the other node (default all). failback = foreign: give back the groups
  taken over from the other node. Works with auto_failback on or off (nice_failback), as in Heartbeat.
${COMMON_USAGE}`,
    failback: 'foreign',
    fields: (set) => [['t', 'ask_resources'], ['rsc_hold', set], ['info', 'me']],
    said: (set) => `Going standby [${set}].`,
  },
  process.argv.slice(2),
);
