// heartbeat-ts as a node inside a lab: same config files and log paths as the real daemon (real-heartbeat.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from './netns.js';
import { cliPath } from './paths.js';
import type { RunResult, StartedProcess } from './processes.js';
import { readLog, waitForLog } from './real-heartbeat.js';

export interface OurHeartbeatOptions {
  /** Extra command-line arguments (e.g. `--script-timeout 1`). */
  readonly args?: readonly string[];
}

/**
 * Where the harmless failed-stop command of startOurHeartbeat leaves its mark (host-side path): a test never
 * lets the daemon run its default, `/sbin/reboot -nf`, which would reboot the machine running the tests.
 */
export function failedStopMarker(lab: Lab, node: string): string {
  return path.join(lab.node(node).varLibDir, 'failed-stop-command-ran');
}

/**
 * Starts `heartbeat -f` inside the node (its private /etc/ha.d, /var/lib/heartbeat, /var/log) and waits until
 * it has opened its media and sent its first status. The caller kills it (SIGKILL or stop()) by PID; the lab's
 * teardown would too. Unless `opts.args` names its own `--failed-stop-command`, the daemon gets one that only
 * touches failedStopMarker(lab, node): a resource that will not stop must never reboot the test machine.
 */
export async function startOurHeartbeat(lab: Lab, node: string, timeoutMs = 10_000, opts: OurHeartbeatOptions = {}): Promise<StartedProcess> {
  const args = [...(opts.args ?? [])];
  if (!args.some((a) => a === '--failed-stop-command' || a.startsWith('--failed-stop-command='))) {
    const marker = failedStopMarker(lab, node);
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    args.push('--failed-stop-command', `/usr/bin/touch ${marker}`);
  }
  const before = readLog(lab, node).length;
  const p = lab.start(node, [process.execPath, cliPath('heartbeat'), '-f', ...args]);
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

/**
 * `heartbeat [args]` inside the node, e.g. the background start, `-s`, `-k`, `-r`: the command's result. Unless
 * args name one, the daemon gets the harmless failed-stop command of startOurHeartbeat.
 */
export async function ourHeartbeatCommand(lab: Lab, node: string, args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  const all = [...args];
  const starts = !all.some((a) => ['-k', '-s', '-r'].includes(a));
  if (starts && !all.some((a) => a === '--failed-stop-command' || a.startsWith('--failed-stop-command='))) {
    const marker = failedStopMarker(lab, node);
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    all.push('--failed-stop-command', `/usr/bin/touch ${marker}`);
  }
  return lab.exec(node, [process.execPath, cliPath('heartbeat'), ...all], { timeoutMs });
}

/** The pid in the node's /var/run/heartbeat.pid (its private /run), or undefined. */
export async function ourPidFile(lab: Lab, node: string): Promise<number | undefined> {
  const r = await lab.exec(node, ['cat', '/var/run/heartbeat.pid'], { timeoutMs: 5000 });
  const pid = Number(r.stdout.trim());
  return r.exitCode === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
