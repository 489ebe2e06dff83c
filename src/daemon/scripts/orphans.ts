// Resource operations left running by a previous life of this daemon (it was killed mid-operation).
//
// Every script the daemon runs carries HBTS_OWNER=<node mark>:<daemon pid> in its environment, and so do the
// processes it forks. When a daemon dies (SIGKILL, OOM) during a start, its script goes on as an orphan and may
// finish after the next daemon has checked that nothing runs: the resource comes up behind its back, possibly
// beside the peer's copy. At start-up the new daemon finds such processes in /proc, waits for them (bounded),
// then TERMs and KILLs what is left, before it looks at the resources. heartbeat 3.0.6 has no such step.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export const OWNER_VAR = 'HBTS_OWNER';

/**
 * What tells this node's scripts from those of every other daemon on the machine (the test labs run many,
 * each in its own namespaces but with one process table): the node name and the state directory's device
 * and inode, which differ between labs even where the path is the same.
 */
export function ownerMark(localNode: string, stateDir: string): string {
  try {
    const st = fs.statSync(stateDir);
    return `${localNode}@${st.dev}.${st.ino}`;
  } catch {
    return `${localNode}@${stateDir}`;
  }
}

/** The HBTS_OWNER value for the scripts of the daemon with pid `pid`. */
export function ownerValue(mark: string, pid: number): string {
  return `${mark}:${pid}`;
}

export interface Orphan {
  readonly pid: number;
  /** The daemon that started it (now gone, or another instance). */
  readonly daemonPid: number;
  /** argv joined with spaces, for the log. */
  readonly command: string;
}

/**
 * Processes whose HBTS_OWNER has our mark and another daemon's pid. Unreadable entries (a process that ended,
 * another user's) are skipped; zombies have an empty environ and are not found.
 */
export function findOrphans(mark: string, selfPid: number, procDir = '/proc'): Orphan[] {
  const prefix = `${OWNER_VAR}=${mark}:`;
  const found: Orphan[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(procDir);
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^[0-9]+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === selfPid) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(path.join(procDir, e, 'environ'), 'latin1');
    } catch {
      continue;
    }
    const v = environ.split('\0').find((kv) => kv.startsWith(prefix));
    if (v === undefined) continue;
    const daemonPid = Number(v.slice(prefix.length));
    if (!Number.isInteger(daemonPid) || daemonPid === selfPid) continue;
    found.push({ pid, daemonPid, command: readCommand(path.join(procDir, e, 'cmdline')) });
  }
  return found;
}

function readCommand(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1').split('\0').filter((s) => s !== '').join(' ') || '?';
  } catch {
    return '?';
  }
}

export interface SettleOptions {
  readonly mark: string;
  readonly selfPid: number;
  /** How long the orphans may run on before they are killed: the operation timeout. */
  readonly waitMs: number;
  /** Between SIGTERM and SIGKILL. */
  readonly graceMs: number;
  readonly log: (level: 'info' | 'warn' | 'err', text: string) => void;
  readonly procDir?: string;
  /** Poll interval. Default 100 ms. */
  readonly pollMs?: number;
  readonly kill?: (pid: number, signal: NodeJS.Signals) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly nowMs?: () => number;
}

/**
 * Waits until no orphan of ours runs: up to waitMs for them to end by themselves, then SIGTERM, graceMs, and
 * SIGKILL. Returns how many were found at first. Bounded: at most waitMs + 2 × graceMs plus one poll.
 */
export async function settleOrphans(o: SettleOptions): Promise<number> {
  const procDir = o.procDir ?? '/proc';
  const pollMs = o.pollMs ?? 100;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.nowMs ?? (() => performance.now());
  const kill = o.kill ?? ((pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone already */
    }
  });
  const first = findOrphans(o.mark, o.selfPid, procDir);
  if (first.length === 0) return 0;
  const daemons = [...new Set(first.map((p) => p.daemonPid))].join(', ');
  o.log('warn', `${first.length} resource operation process(es) of a previous heartbeat (pid ${daemons}) still running: ${first.map((p) => `[${p.pid}] ${p.command}`).join('; ')}; waiting up to ${o.waitMs} ms for them to end before checking the resources`);
  const started = now();
  const waitUntil = async (deadlineMs: number): Promise<Orphan[]> => {
    for (;;) {
      const left = findOrphans(o.mark, o.selfPid, procDir);
      if (left.length === 0 || now() >= deadlineMs) return left;
      await sleep(Math.min(pollMs, Math.max(1, deadlineMs - now())));
    }
  };
  let left = await waitUntil(started + o.waitMs);
  for (const [signal, graceMs] of [['SIGTERM', o.graceMs], ['SIGKILL', o.graceMs]] as const) {
    if (left.length === 0) break;
    o.log('err', `${left.length} orphaned resource operation process(es) still running after ${Math.round(now() - started)} ms: sending ${signal} to ${left.map((p) => p.pid).join(', ')}`);
    for (const p of left) kill(p.pid, signal);
    left = await waitUntil(now() + graceMs);
  }
  if (left.length > 0) o.log('err', `orphaned resource operation process(es) ${left.map((p) => p.pid).join(', ')} survived SIGKILL; checking the resources anyway`);
  else o.log('info', `previous heartbeat's resource operations ended after ${Math.round(now() - started)} ms`);
  return first.length;
}
