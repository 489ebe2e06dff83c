// heartbeat-ts as a node inside a lab: same config files and log paths as the real daemon (real-heartbeat.ts).
import path from 'node:path';
import type { Lab } from './netns.js';
import { cliPath } from './paths.js';
import type { StartedProcess } from './processes.js';
import { readLog, waitForLog } from './real-heartbeat.js';

/**
 * Starts `heartbeat -f` inside the node (its private /etc/ha.d, /var/lib/heartbeat, /var/log) and waits until
 * it has opened its media and sent its first status. The caller kills it (SIGKILL or stop()) by PID; the lab's
 * teardown would too.
 */
export async function startOurHeartbeat(lab: Lab, node: string, timeoutMs = 10_000): Promise<StartedProcess> {
  const before = readLog(lab, node).length;
  const p = lab.start(node, [process.execPath, cliPath('heartbeat'), '-f']);
  try {
    await waitForLog(lab, node, (log) => /Local status now set to: 'up'/.test(log.slice(before)), 'our start-up', timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nstderr of heartbeat -f:\n${p.stderr.slice(-3000)}`);
  }
  return p;
}

export function ourBinary(): string {
  return path.resolve(cliPath('heartbeat'));
}
