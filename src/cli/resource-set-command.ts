// The shared body of hb_standby and hb_takeover: one optional set argument, one message into the control FIFO.
import { parseArgs } from './options.js';
import { writeFifoMessage } from './fifo-message.js';

export interface SetCommand {
  readonly name: string;
  readonly usage: string;
  /** What `failback` means for this command. */
  readonly failback: 'foreign' | 'local';
  readonly fields: (set: string) => readonly (readonly [string, string])[];
  readonly said: (set: string) => string;
}

const SETS = ['all', 'foreign', 'local', 'failback'];

/** Exit status: 0 written, 1 no daemon / cannot write, 2 bad usage. */
export function runSetCommand(c: SetCommand, argv: readonly string[]): number {
  const parsed = parseArgs(argv, { shortFlags: '', shortWithValue: '', longFlags: ['help'], longWithValue: [] });
  if (!parsed.ok) {
    process.stderr.write(`${c.name}: ${parsed.error}\n${c.usage}`);
    return 2;
  }
  if (parsed.value.long.has('help')) {
    process.stdout.write(c.usage);
    return 0;
  }
  const ops = parsed.value.operands;
  const arg = ops[0] ?? 'all';
  if (ops.length > 1 || !SETS.includes(arg)) {
    process.stderr.write(`${c.name}: wrong resources (${ops.join(' ')})\n${c.usage}`);
    return 2;
  }
  const set = arg === 'failback' ? c.failback : arg;
  const r = writeFifoMessage(parsed.value.common.stateDir, c.fields(set));
  if (!r.ok) {
    process.stderr.write(`${c.name}: ${r.message}\n`);
    return 1;
  }
  process.stdout.write(`${c.said(set)}\n`);
  return 0;
}
