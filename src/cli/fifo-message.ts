// Writing one classic message into the running daemon's control FIFO, as the stock scripts' ha_clustermsg does.
import fs from 'node:fs';
import path from 'node:path';

export type WriteOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** `>>>\nname=value\n…<<<\n` into <stateDir>/fifo; never blocks (no reader → a clear error). */
export function writeFifoMessage(stateDir: string, fields: readonly (readonly [string, string])[]): WriteOutcome {
  const fifo = path.join(stateDir, 'fifo');
  const text = `>>>\n${fields.map(([k, v]) => `${k}=${v}\n`).join('')}<<<\n`;
  let fd: number | undefined;
  try {
    const st = fs.statSync(fifo, { throwIfNoEntry: false });
    if (st === undefined) return { ok: false, message: `${fifo} does not exist: is heartbeat running (with --state-dir ${stateDir})?` };
    if (!st.isFIFO()) return { ok: false, message: `${fifo} is not a FIFO` };
    fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(fd, text);
    return { ok: true };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENXIO') return { ok: false, message: `nobody reads ${fifo}: heartbeat is not running` };
    if (code === 'EACCES') return { ok: false, message: `permission denied on ${fifo} (run as root)` };
    return { ok: false, message: `cannot write ${fifo}: ${(e as Error).message}` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
