// Who holds a floating address in a lab, sampled in every node's namespace; waiting for a process to be reaped.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
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

/** How often a VipWatcher reads both nodes. */
export const VIP_WATCH_PERIOD_MS = 10;
/** A watcher whose samples were further apart than this on average (timers late on a loaded machine) fails. */
export const VIP_WATCH_MAX_MEAN_GAP_MS = 20;

/**
 * Watches, from its creation to stop(), whether `vip` is ever on both nodes of a pair: both namespaces read every
 * VIP_WATCH_PERIOD_MS (holdsVip). The first node is read before and after the second, and a sample counts as a
 * double only when the first held the address both times: a hand-over between two reads (one node lets go, the
 * other takes it) is not one. assertNeverBoth() also fails a watcher that took no samples or sampled too rarely.
 */
export class VipWatcher {
  samples = 0;
  /** The longest time between two samples. */
  maxGapMs = 0;
  readonly doubles: string[] = [];
  /** Each change of holders, with its time since the watcher started. */
  readonly changes: string[] = [];
  private readonly t0 = Date.now();
  private firstAt: number | undefined;
  private lastAt: number | undefined;
  private last = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lab: Lab,
    private readonly vip: string,
    private readonly nodes: readonly [string, string] = ['alpha', 'bravo'],
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), VIP_WATCH_PERIOD_MS);
    this.timer.unref(); // never what keeps a failed test's process alive
  }

  private sample(): void {
    const [a, b] = this.nodes;
    let a1: boolean;
    let b1: boolean;
    let a2: boolean;
    try {
      a1 = holdsVip(this.lab, a, this.vip);
      b1 = holdsVip(this.lab, b, this.vip);
      a2 = holdsVip(this.lab, a, this.vip);
    } catch {
      this.halt(); // the lab is being torn down
      return;
    }
    const now = Date.now();
    if (this.lastAt !== undefined) this.maxGapMs = Math.max(this.maxGapMs, now - this.lastAt);
    this.firstAt ??= now;
    this.lastAt = now;
    this.samples += 1;
    const at = now - this.t0;
    if (a1 && a2 && b1) this.doubles.push(`${at} ms: ${a}+${b}`);
    const h = [...(a2 ? [a] : []), ...(b1 ? [b] : [])].join('+') || 'none';
    if (h !== this.last) this.changes.push(`${at} ms: ${h}`);
    this.last = h;
  }

  private halt(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops watching (after one last sample); idempotent. */
  stop(): void {
    if (this.timer === undefined) return;
    this.halt();
    this.sample();
  }

  /** The mean time between samples (ms), Infinity before two. */
  get meanGapMs(): number {
    if (this.samples < 2 || this.firstAt === undefined || this.lastAt === undefined) return Number.POSITIVE_INFINITY;
    return (this.lastAt - this.firstAt) / (this.samples - 1);
  }

  summary(): string {
    return `${this.samples} samples (every ${this.meanGapMs.toFixed(1)} ms on average, longest gap ${this.maxGapMs} ms), holders ${this.changes.join(' → ')}; doubles: ${this.doubles.length}`;
  }

  /** Stops, then: samples were taken, often enough, and none saw the address on both nodes. */
  assertNeverBoth(): void {
    this.stop();
    assert.ok(this.samples >= 2, `the ${this.vip} watcher took ${this.samples} samples: it watched nothing`);
    assert.ok(this.meanGapMs <= VIP_WATCH_MAX_MEAN_GAP_MS, `the ${this.vip} watcher sampled too rarely: ${this.summary()}`);
    assert.deepEqual(this.doubles, [], `the address was never on both nodes (${this.summary()})`);
  }
}

/** A VipWatcher stopped when the test ends (whatever happens); the test calls assertNeverBoth() itself. */
export function watchVip(t: TestContext, lab: Lab, vip: string, nodes: readonly [string, string] = ['alpha', 'bravo']): VipWatcher {
  const w = new VipWatcher(lab, vip, nodes);
  t.after(() => w.stop());
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
