// `hbctl cleanup [RESOURCE|all]` (issue 17): forget a monitored resource's failures and its group's failed mark.
import { CLEANUP_MESSAGE } from '../node/coordinator.js';
import { writeFifoMessage } from './fifo-message.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, type Io } from './hbctl-io.js';
import { COMMON_USAGE, parseArgs } from './options.js';

export const CLEANUP_USAGE = `Usage: hbctl cleanup [RESOURCE|all] [options]

Forgets the service monitor's failures of RESOURCE (written as in haresources; default all): its consecutive
failed checks, the restarts counted against restarts=, and the failed mark of its resource group on this node.
With auto_failback on, a home group the other node took when this one gave it up is asked back (as
hb_takeover local does). Local to this node; the running heartbeat reads it from its control FIFO. The log
says what was cleared ("monitor: cleanup: …").
${COMMON_USAGE}
`;

export function runCleanup(argv: readonly string[], io: Io): number {
  const parsed = parseArgs(argv, { shortFlags: '', shortWithValue: '', longFlags: ['help'], longWithValue: [] });
  if (!parsed.ok) {
    io.err(`hbctl cleanup: ${parsed.error}\n\n${CLEANUP_USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.value.long.has('help')) {
    io.out(CLEANUP_USAGE);
    return EXIT_OK;
  }
  const ops = parsed.value.operands;
  if (ops.length > 1) {
    io.err(`hbctl cleanup: one resource at most (got ${ops.join(' ')})\n\n${CLEANUP_USAGE}`);
    return EXIT_USAGE;
  }
  const rsc = ops[0] ?? 'all';
  const r = writeFifoMessage(parsed.value.common.stateDir, [['t', CLEANUP_MESSAGE], ['rsc', rsc]]);
  if (!r.ok) {
    io.err(`hbctl cleanup: ${r.message}\n`);
    return EXIT_FAIL;
  }
  io.out(`Cleanup of ${rsc} requested (see the heartbeat log).\n`);
  return EXIT_OK;
}
