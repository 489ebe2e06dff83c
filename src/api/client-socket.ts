// Opening the daemon's Unix socket, with an error that says whether heartbeat runs and what to do.
import net from 'node:net';
import { HeartbeatClientError } from './client-errors.js';

export /** Connects to the Unix socket; the error says whether heartbeat is running and what to do. */
function openSocket(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path: socketPath });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new HeartbeatClientError('timeout', `cannot connect to heartbeat at ${socketPath}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      if (e.code === 'EACCES' || e.code === 'EPERM') {
        reject(new HeartbeatClientError('permission-denied', `cannot connect to heartbeat at ${socketPath}: permission denied (root or group haclient may)`));
      } else {
        reject(new HeartbeatClientError('not-running', `cannot connect to heartbeat at ${socketPath}: is it running? (${e.code ?? e.message})`));
      }
    });
  });
}
