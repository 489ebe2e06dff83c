// The real Heartbeat 3.0.6 as a peer inside a lab node: its config files, start/stop, and reading its log.
//
// The daemon runs in an isolated lab node (own UTS + mount namespaces, see netns.ts), so /etc/ha.d,
// /var/lib/heartbeat and /var/log are the node's private copies, readable host-side through lab.node(n).haDir
// and friends. `heartbeat` daemonizes; its processes live in the node's network namespace and the lab's
// teardown kills them by PID, so a test needs no explicit stop.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from './netns.js';

export const REAL_HEARTBEAT = '/usr/libexec/heartbeat/heartbeat';
export const REAL_CL_STATUS = '/usr/bin/cl_status';

export type AuthMethod = 'crc' | 'md5' | 'sha1';

export interface RealConfig {
  /** Node names in ha.cf order (the local one must be among them). */
  readonly nodes: readonly string[];
  readonly method: AuthMethod;
  /** Key token for md5/sha1; ignored for crc. */
  readonly key: string;
  /** ha.cf time values, written verbatim (bare number = seconds, `ms` suffix = milliseconds). */
  readonly keepalive?: string;
  readonly warntime?: string;
  readonly deadtime?: string;
  readonly initdead?: string;
  /** Extra ha.cf lines, appended before the node lines. */
  readonly extra?: readonly string[];
}

/** The log files named in the ha.cf we write, as paths inside the node. */
export const LOG_FILE = '/var/log/ha-log';
export const DEBUG_FILE = '/var/log/ha-debug';

/**
 * ha.cf for a short-timer two-node bcast cluster. `udpport` precedes the media line (Heartbeat's plugins read
 * it when the first medium loads). `logfacility none` keeps everything in the files, away from the host's
 * syslog. A warning "Initial dead time [...] may be too small!" is expected with a short initdead.
 */
export function haCfText(c: RealConfig): string {
  return [
    'logfacility none',
    `logfile ${LOG_FILE}`,
    `debugfile ${DEBUG_FILE}`,
    `keepalive ${c.keepalive ?? '200ms'}`,
    `warntime ${c.warntime ?? '500ms'}`,
    `deadtime ${c.deadtime ?? '1'}`,
    `initdead ${c.initdead ?? '2'}`,
    'udpport 694',
    'bcast eth0',
    'auto_failback on',
    'crm off',
    ...(c.extra ?? []),
    ...c.nodes.map((n) => `node ${n}`),
    '',
  ].join('\n');
}

/** `auth 1` first (Heartbeat needs it before the method line), then the method line; mode 0600. */
export function authkeysText(method: AuthMethod, key: string): string {
  return `auth 1\n1 ${method}${method === 'crc' ? '' : ` ${key}`}\n`;
}

/** Writes ha.cf, authkeys (0600) and an empty haresources into the node's private /etc/ha.d. */
export function writeRealConfig(lab: Lab, node: string, c: RealConfig): void {
  const dir = lab.node(node).haDir;
  fs.writeFileSync(path.join(dir, 'ha.cf'), haCfText(c));
  const keys = path.join(dir, 'authkeys');
  fs.writeFileSync(keys, authkeysText(c.method, c.key), { mode: 0o600 });
  fs.chmodSync(keys, 0o600); // writeFileSync keeps the mode of an existing file
  fs.writeFileSync(path.join(dir, 'haresources'), '');
}

/** Host-side path of the node's Heartbeat log. */
export function logPath(lab: Lab, node: string): string {
  return path.join(lab.node(node).logDir, path.basename(LOG_FILE));
}

/** The node's log as text ('' before it exists). latin1: the daemon dumps raw packet bytes (UUIDs) into it. */
export function readLog(lab: Lab, node: string): string {
  try {
    return fs.readFileSync(logPath(lab, node), 'latin1');
  } catch {
    return '';
  }
}

/** How many times pattern (global or not) matches the log text. */
export function countMatches(text: string, pattern: RegExp): number {
  const g = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  return [...text.matchAll(g)].length;
}

/**
 * Waits until `done(log)` holds, reading the log every 50 ms; bounded by timeoutMs. There is no event for
 * "the daemon wrote a line" short of inotify, and 50 ms is far below every Heartbeat timer used here.
 * Rejects with the log's tail so a failure shows what the daemon did say.
 */
export async function waitForLog(lab: Lab, node: string, done: (log: string) => boolean, what: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readLog(lab, node);
    if (done(text)) return text;
    if (Date.now() >= deadline) {
      throw new Error(`${node}: no ${what} in ${LOG_FILE} within ${timeoutMs} ms; log tail:\n${tail(text, 40)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last n lines, with Heartbeat's binary packet dumps made printable. */
export function tail(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n').replace(/[\x00-\x08\x0b-\x1f\x7f-\xff]/g, '.');
}

/**
 * Starts the real daemon in the node and waits for its comm-up ("Comm_now_up(): updating status to active").
 * With no peer heard during initdead the daemon declares the others dead and comes up on its own; only then
 * does it open its API socket (cl_status needs it) — and a peer first heard *before* comm-up would make it
 * wait for a `repnodes` answer to its `reqnodes` (spec §5.7), which a test sender does not give.
 */
export async function startRealHeartbeat(lab: Lab, node: string, timeoutMs = 15_000): Promise<void> {
  const r = await lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) {
    throw new Error(`${REAL_HEARTBEAT} in ${node} exited ${r.exitCode}: ${r.stderr.trim()}\n${tail(readLog(lab, node), 30)}`);
  }
  await waitForLog(lab, node, (log) => log.includes('Comm_now_up(): updating status to active'), 'comm-up', timeoutMs);
}

/** `cl_status nodestatus <peer>` run inside node: the status word (e.g. active, dead) or the error text. */
export async function clNodeStatus(lab: Lab, node: string, peer: string): Promise<string> {
  const r = await lab.exec(node, [REAL_CL_STATUS, 'nodestatus', peer], { timeoutMs: 10_000 });
  return (r.stdout.trim() || r.stderr.trim());
}
