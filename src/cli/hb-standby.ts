#!/usr/bin/env node
// `hb_standby [all|foreign|local|failback]`: ask the running node to give resources to the other node.
import { parseArgs, COMMON_USAGE } from './options.js';
import { writeFifoMessage } from './fifo-message.js';

const USAGE = `usage: hb_standby [all|foreign|local|failback] [options]
  Hand this node's resources to the other node (default all). failback = foreign: give back the groups
  taken over from the other node. Works with auto_failback on or off (nice_failback), as in Heartbeat.
${COMMON_USAGE}`;

function main(argv: readonly string[]): number {
  const parsed = parseArgs(argv, { shortFlags: '', shortWithValue: '', longFlags: ['help'], longWithValue: [] });
  if (!parsed.ok) {
    process.stderr.write(`hb_standby: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  if (parsed.value.long.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const ops = parsed.value.operands;
  const arg = ops[0] ?? 'all';
  if (ops.length > 1 || !['all', 'foreign', 'local', 'failback'].includes(arg)) {
    process.stderr.write(`hb_standby: wrong resources (${ops.join(' ')})\n${USAGE}`);
    return 2;
  }
  const set = arg === 'failback' ? 'foreign' : arg;
  const r = writeFifoMessage(parsed.value.common.stateDir, [['t', 'ask_resources'], ['rsc_hold', set], ['info', 'me']]);
  if (!r.ok) {
    process.stderr.write(`hb_standby: ${r.message}\n`);
    return 1;
  }
  process.stdout.write(`Going standby [${set}].\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
