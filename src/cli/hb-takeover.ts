#!/usr/bin/env node
// `hb_takeover [all|foreign|local|failback]`: ask the other node to hand resources to this one.
import { COMMON_USAGE } from './options.js';
import { runSetCommand } from './resource-set-command.js';

process.exitCode = runSetCommand(
  {
    name: 'hb_takeover',
    usage: `usage: hb_takeover [all|foreign|local|failback] [options]
  Take resources over from the other node (default all): local = this node's home groups, foreign = the
  other's. failback = local (take our home groups back); Heartbeat 3.0.6's own script sends "failback"
  through, which the other node reads as "all" — heartbeat-ts nodes read either as sent.
${COMMON_USAGE}`,
    failback: 'local',
    fields: (set) => [['t', 'hb_takeover'], ['rsc_hold', set]],
    said: (set) => `Taking over [${set}].`,
  },
  process.argv.slice(2),
);
