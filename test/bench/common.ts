// Helpers shared by the namespace benchmarks (membership, resources): teardown context, waits, small statistics.
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Lab } from '../helpers/netns.js';
import type { StartedProcess } from '../helpers/processes.js';
import { readLog } from '../helpers/real-heartbeat.js';

/** createLab only needs `after`; this collects the teardowns and runs them (newest first) on close(). */
export class BenchContext {
  private readonly fns: Array<() => unknown> = [];
  after(fn: () => unknown): void {
    this.fns.push(fn);
  }
  async close(): Promise<string[]> {
    const problems: string[] = [];
    while (this.fns.length > 0) {
      const fn = this.fns.pop();
      try {
        await fn?.();
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    return problems;
  }
  get asTestContext(): TestContext {
    return this as unknown as TestContext;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function signed(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms.toFixed(0)}`;
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

export function haveCommand(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => d !== '' && fs.existsSync(path.join(d, cmd)));
}

/** Every process of a node: all PIDs in its network namespace but the lab's anchor. */
export async function nodePids(lab: Lab, node: string): Promise<number[]> {
  const anchor = lab.node(node).anchorPid;
  return (await lab.pidsIn(node)).filter((pid) => pid !== anchor && pid !== process.pid);
}

/** Resolves with Date.now() when `needle` has appeared `n` times on the process's stderr (checked on every chunk). */
export async function stderrNth(p: StartedProcess, needle: string, n: number, timeoutMs: number): Promise<number> {
  await p.waitForOutput(new RegExp(`(?:[\\s\\S]*?${escapeRe(needle)}){${n}}`), timeoutMs);
  return Date.now();
}

/** Until no node's log has grown for quietMs (checked every 250 ms), at most timeoutMs; false on timeout. */
export async function waitForQuietLogs(lab: Lab, nodes: readonly string[], quietMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let sizes = nodes.map((n) => readLog(lab, n).length).join(',');
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(250);
    const now = nodes.map((n) => readLog(lab, n).length).join(',');
    if (now !== sizes) {
      sizes = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return true;
    }
  }
  return false;
}

const FILE_POLL_MS = 5;

/**
 * Resolves with Date.now() when `needle` appears in the file after its current end. Woken by inotify (fs.watch)
 * and by a 5 ms poll, whichever comes first; bounded by timeoutMs.
 */
export function fileAppears(file: string, needle: string, timeoutMs: number): Promise<number> {
  let offset = fs.statSync(file).size;
  let text = '';
  return new Promise((resolve, reject) => {
    let watcher: fs.FSWatcher | undefined;
    const finish = (f: () => void): void => {
      clearInterval(poll);
      clearTimeout(timer);
      watcher?.close();
      f();
    };
    const check = (): void => {
      const at = Date.now();
      let fd: number | undefined;
      try {
        fd = fs.openSync(file, 'r');
        const size = fs.fstatSync(fd).size;
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          const got = fs.readSync(fd, buf, 0, buf.length, offset);
          offset += got;
          text += buf.subarray(0, got).toString('latin1');
        }
      } catch {
        /* not there yet */
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
      if (text.includes(needle)) finish(() => resolve(at));
    };
    const poll = setInterval(check, FILE_POLL_MS);
    const timer = setTimeout(() => finish(() => reject(new Error(`no "${needle}" in ${file} within ${timeoutMs} ms`))), timeoutMs);
    try {
      watcher = fs.watch(file, check);
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined; // polling alone
    }
    check();
  });
}

/** What a namespace bench lacks: `root`, commands not on PATH, files that do not exist (in that order). */
export function missingPrerequisites(commands: readonly string[], files: readonly string[] = []): string[] {
  return [
    ...(process.getuid?.() === 0 ? [] : ['root']),
    ...commands.filter((c) => !haveCommand(c)),
    ...files.filter((f) => !fs.existsSync(f)),
  ];
}

/**
 * Runs a bench with a fresh BenchContext, closed when the body ends (its teardown problems appended to
 * `lines` as `<name>: teardown problems: …`) and on SIGINT or SIGTERM, after which the process exits 130:
 * an interrupted bench leaves no namespace or process behind.
 */
export async function inBenchContext(name: string, lines: string[], body: (ctx: BenchContext) => Promise<void>): Promise<string[]> {
  const ctx = new BenchContext();
  const onSignal = (): void => void ctx.close().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await body(ctx);
    return lines;
  } finally {
    const problems = await ctx.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (problems.length > 0) lines.push(`${name}: teardown problems: ${problems.join('; ')}`);
  }
}
