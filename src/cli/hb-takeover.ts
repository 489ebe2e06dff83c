#!/usr/bin/env node
// `hb_takeover [all|foreign|local|failback]`: ask the other node to hand resources to this one.
import { parseArgs, COMMON_USAGE } from './options.js';
import { writeFifoMessage } from './fifo-message.js';

const USAGE = `usage: hb_takeover [all|foreign|local|failback] [options]
  Take resources over from the other node (default all): local = this node's home groups, foreign = the
  other's. failback = local (take our home groups back); Heartbeat 3.0.6's own script sends "failback"
  through, which the other node reads as "all" — heartbeat-ts nodes read either as sent.
${COMMON_USAGE}`;

function main(argv: readonly string[]): number {
  const parsed = parseArgs(argv, { shortFlags: '', shortWithValue: '', longFlags: ['help'], longWithValue: [] });
  if (!parsed.ok) {
    process.stderr.write(`hb_takeover: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  if (parsed.value.long.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const ops = parsed.value.operands;
  const arg = ops[0] ?? 'all';
  if (ops.length > 1 || !['all', 'foreign', 'local', 'failback'].includes(arg)) {
    process.stderr.write(`hb_takeover: wrong resources (${ops.join(' ')})\n${USAGE}`);
    return 2;
  }
  const set = arg === 'failback' ? 'local' : arg;
  const r = writeFifoMessage(parsed.value.common.stateDir, [['t', 'hb_takeover'], ['rsc_hold', set]]);
  if (!r.ok) {
    process.stderr.write(`hb_takeover: ${r.message}\n`);
    return 1;
  }
  process.stdout.write(`Taking over [${set}].\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
