// Who holds a floating address in a lab, sampled in every node's namespace; waiting for a process to be reaped.
import fs from 'node:fs';
import { killPid, type Lab } from './netns.js';
import { readLog, tail } from './real-heartbeat.js';

/** The nodes (of `nodes`) whose eth0 carries `vip`. */
export async function vipHolders(lab: Lab, vip: string, nodes: readonly string[] = ['alpha', 'bravo']): Promise<string[]> {
  const out: string[] = [];
  for (const n of nodes) {
    const r = await lab.exec(n, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], { timeoutMs: 5000 });
    if (r.stdout.includes(` ${vip}/`)) out.push(n);
  }
  return out;
}

/**
 * Waits (bounded) until `node` alone holds `vip`, sampling every 50 ms; every sample with two holders is
 * recorded in `doubles`. Resolves with the time it took; on timeout, rejects with both nodes' log tails.
 */
export async function untilHeldBy(lab: Lab, vip: string, node: string, timeoutMs: number, doubles: string[]): Promise<number> {
  const start = Date.now();
  for (;;) {
    const h = await vipHolders(lab, vip);
    if (h.length > 1) doubles.push(`${Date.now() - start} ms: ${h.join('+')}`);
    if (h.length === 1 && h[0] === node) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `${vip} not held by ${node} alone within ${timeoutMs} ms (holders: ${h.join(',') || 'none'})\n` +
          `alpha:\n${tail(readLog(lab, 'alpha'), 30)}\nbravo:\n${tail(readLog(lab, 'bravo'), 30)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Until /proc/PID is gone: Heartbeat's pid-file check (kill(pid, 0)) still sees an unreaped zombie as running. */
export async function waitForReaped(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (fs.existsSync(`/proc/${pid}`)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * Power loss of a node: SIGKILL every process in its namespace but the lab's anchor (a daemon and its
 * children, its scripts, its Apache), wait until they are reaped, and remove the address it may hold.
 */
export async function powerLoss(lab: Lab, node: string, vip: string): Promise<void> {
  const anchor = lab.node(node).anchorPid;
  const pids = (await lab.pidsIn(node)).filter((p) => p !== anchor);
  for (const p of pids) killPid(p, 'SIGKILL');
  for (const p of pids) await waitForReaped(p, 10_000);
  await lab.exec(node, ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
}
