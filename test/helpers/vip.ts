// Who holds a floating address in a lab, sampled in every node's namespace; waiting for a process to be reaped.
import type { TestContext } from 'node:test';
import fs from 'node:fs';
import { assertNeverBoth, HoldWatcher, type HoldWatchResult, type Probe } from './hold-watch.js';
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
 * Whether `vip` is a local address in the node's namespace: its `/32 host LOCAL` entry in the kernel's FIB, read
 * through the node's anchor. No process is spawned, so a watcher can read both nodes every few milliseconds.
 */
export function holdsVip(lab: Lab, node: string, vip: string): boolean {
  const anchor = lab.node(node).anchorPid;
  if (anchor === undefined) throw new Error(`node ${node} has no anchor`);
  const trie = fs.readFileSync(`/proc/${anchor}/net/fib_trie`, 'latin1');
  return trie.includes(`|-- ${vip}\n`) && new RegExp(`\\|-- ${vip.replaceAll('.', '\\.')}\\n\\s+/32 host LOCAL`).test(trie);
}

/**
 * Waits (bounded) until `node` alone holds `vip`, sampling every 10 ms. Resolves with the time it took; on
 * timeout, rejects with both nodes' log tails. Whether the address was ever on both nodes is a VipWatcher's job.
 */
export async function untilHeldBy(lab: Lab, vip: string, node: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  const nodes = ['alpha', 'bravo'];
  for (;;) {
    const h = nodes.filter((n) => holdsVip(lab, n, vip));
    if (h.length === 1 && h[0] === node) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      throw new Error(
        `${vip} not held by ${node} alone within ${timeoutMs} ms (holders: ${h.join(',') || 'none'})\n` +
          `alpha:\n${tail(readLog(lab, 'alpha'), 30)}\nbravo:\n${tail(readLog(lab, 'bravo'), 30)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Watches, from its creation to assertNeverBoth(), whether `vip` is ever on both nodes of a pair: a worker thread
 * reads both namespaces' FIB every 10 ms (hold-watch.ts), first node before and after the second so that a
 * hand-over between two reads is not taken for a double. assertNeverBoth() also fails a watcher that took no
 * samples, sampled less often than every 20 ms on average, or stopped early.
 */
export class VipWatcher {
  private readonly watcher: HoldWatcher;

  constructor(
    lab: Lab,
    private readonly vip: string,
    nodes: readonly [string, string] = ['alpha', 'bravo'],
  ) {
    const probe = (n: string): Probe => {
      const anchor = lab.node(n).anchorPid;
      if (anchor === undefined) throw new Error(`node ${n} has no anchor`);
      return { kind: 'fib', file: `/proc/${anchor}/net/fib_trie`, address: vip };
    };
    this.watcher = new HoldWatcher(nodes, { [vip]: [probe(nodes[0]), probe(nodes[1])] });
  }

  /** Stops watching; idempotent. */
  stop(): Promise<HoldWatchResult> {
    return this.watcher.stop();
  }

  /** Stops, then checks (hold-watch.ts assertNeverBoth); resolves with the summary line. */
  async assertNeverBoth(): Promise<string> {
    return assertNeverBoth(await this.watcher.stop(), `the address ${this.vip}`);
  }
}

/** A VipWatcher stopped when the test ends (whatever happens); the test calls assertNeverBoth() itself. */
export function watchVip(t: TestContext, lab: Lab, vip: string, nodes: readonly [string, string] = ['alpha', 'bravo']): VipWatcher {
  const w = new VipWatcher(lab, vip, nodes);
  t.after(async () => {
    await w.stop().catch(() => undefined);
  });
  return w;
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
 * children, its scripts, its Apache), remove the address it may hold at once — a machine that loses power takes
 * its address with it — and then wait until the processes are reaped. (Removing the address only after the
 * reaping, which takes seconds on a loaded machine, left it on the dead node while the peer took over.)
 */
export async function powerLoss(lab: Lab, node: string, vip: string): Promise<void> {
  const anchor = lab.node(node).anchorPid;
  const pids = (await lab.pidsIn(node)).filter((p) => p !== anchor);
  for (const p of pids) killPid(p, 'SIGKILL');
  await lab.exec(node, ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0'], { timeoutMs: 5000 });
  for (const p of pids) await waitForReaped(p, 10_000);
}
