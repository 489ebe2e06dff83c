// Config sets (test/fixtures/config-sets) and the two judges of them: the real Heartbeat 3.0.6 and our CLI.
//
// A config set is a directory with ha.cf, authkeys, haresources (any may be missing on purpose) and meta.json:
//   node        the local node name (uname -n inside the namespace, --node-name for ours)
//   verdict     "accept" | "reject" — what the real Heartbeat 3.0.6 says (always measured, never guessed)
//   mode        authkeys permission bits, e.g. "0600" (applied to a temporary copy; git does not keep them)
//   note        what the set exercises or what the mistake is
//   culprit     rejects only: text our diagnostics must contain (exact case); the real output too,
//               unless realNamesCulprit is false (the real daemon often just says "configuration error")
//   realSays    the real daemon's most telling stderr text (syslog prefix removed); asserted verbatim
//   quirk       optional: how the real daemon mishandles this input (accepted or rejected for a bad reason)
//
// Verdicts are taken in fresh PID+UTS+mount+net namespaces (helpers/netns.ts) with hostname = node and a veth
// "eth0" at 198.51.100.11/24, so interface checks (bcast eth0, mcast eth0 …) see the same world on both sides.
// The real daemon runs `heartbeat -r` with the copy bound on /etc/ha.d: it parses ha.cf, authkeys and
// haresources exactly as a start would, then (config good) signals the pid in /run/heartbeat.pid — itself,
// PID 1, which ignores it — and exits 0, or (config bad) exits 1. Nothing is started either way.
import fs from 'node:fs';
import path from 'node:path';
import { cliPath, fixturesDir } from './paths.js';
import { describeExit, runInFreshNamespaces, type RunResult } from './netns.js';

export const REAL_HEARTBEAT = '/usr/libexec/heartbeat/heartbeat';
export const CONFIG_SETS_DIR = path.join(fixturesDir, 'config-sets');
export const VERDICT_ETH0 = '198.51.100.11/24';
export const CONFIG_FILES = ['ha.cf', 'authkeys', 'haresources'] as const;

export type Verdict = 'accept' | 'reject';

export interface ConfigSetMeta {
  readonly node: string;
  readonly verdict: Verdict;
  readonly mode: string;
  readonly note: string;
  readonly culprit?: string;
  readonly realNamesCulprit?: boolean;
  readonly realSays?: string;
  readonly quirk?: string;
  /** false: eth0 exists, is up and has its address, but has no carrier (its veth peer is down). Default true. */
  readonly carrier?: boolean;
}

export interface ConfigSet {
  readonly name: string;
  readonly dir: string;
  readonly meta: ConfigSetMeta;
}

/** Reads and checks every set; throws naming the set and the field when a meta.json is malformed. */
export function loadConfigSets(root: string = CONFIG_SETS_DIR): ConfigSet[] {
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = path.join(root, name);
      const raw: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
      return { name, dir, meta: checkMeta(name, raw) };
    });
}

function checkMeta(name: string, raw: unknown): ConfigSetMeta {
  const bad = (why: string): never => {
    throw new Error(`config set ${name}: meta.json ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('is not an object');
  const m = raw as Record<string, unknown>;
  const known = new Set(['node', 'verdict', 'mode', 'note', 'culprit', 'realNamesCulprit', 'realSays', 'quirk', 'carrier']);
  for (const k of Object.keys(m)) if (!known.has(k)) bad(`has an unknown field "${k}"`);
  const str = (k: string, required: boolean): string | undefined => {
    const v = m[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') return bad(`field "${k}" must be a non-empty string`);
    return v;
  };
  const node = str('node', true) as string;
  const verdict = str('verdict', true);
  if (verdict !== 'accept' && verdict !== 'reject') return bad('field "verdict" must be "accept" or "reject"');
  const mode = str('mode', true) as string;
  if (!/^0[0-7]{3}$/.test(mode)) bad('field "mode" must look like "0600"');
  const culprit = str('culprit', verdict === 'reject');
  if (verdict === 'accept' && culprit !== undefined) bad('has a culprit but the verdict is accept');
  const realNamesCulprit = m['realNamesCulprit'];
  if (realNamesCulprit !== undefined && typeof realNamesCulprit !== 'boolean') bad('field "realNamesCulprit" must be boolean');
  const realSays = str('realSays', verdict === 'reject');
  const quirk = str('quirk', false);
  const carrier = m['carrier'];
  if (carrier !== undefined && typeof carrier !== 'boolean') bad('field "carrier" must be boolean');
  return {
    node,
    verdict,
    mode,
    note: str('note', true) as string,
    ...(culprit !== undefined ? { culprit } : {}),
    ...(typeof realNamesCulprit === 'boolean' ? { realNamesCulprit } : {}),
    ...(realSays !== undefined ? { realSays } : {}),
    ...(quirk !== undefined ? { quirk } : {}),
    ...(typeof carrier === 'boolean' ? { carrier } : {}),
  };
}

/** Copies the set's config files into a new directory under workDir and applies meta.mode to authkeys. */
export function copyConfigSet(set: ConfigSet, workDir: string): string {
  const dest = fs.mkdtempSync(path.join(workDir, `${set.name}-`));
  fs.chmodSync(dest, 0o755);
  for (const f of CONFIG_FILES) {
    const from = path.join(set.dir, f);
    if (fs.existsSync(from)) fs.copyFileSync(from, path.join(dest, f));
  }
  const keys = path.join(dest, 'authkeys');
  if (fs.existsSync(keys)) fs.chmodSync(keys, parseInt(set.meta.mode, 8));
  return dest;
}

export interface VerdictRun {
  /** 'error' when the program neither accepted nor rejected (timeout, signal, unexpected exit status). */
  readonly verdict: Verdict | 'error';
  readonly result: RunResult;
  /** stdout and stderr together. */
  readonly output: string;
  /** Why the verdict is 'error'. */
  readonly problem?: string;
}

function judge(result: RunResult, who: string): VerdictRun {
  const output = result.stdout + result.stderr;
  if (!result.timedOut && result.signal === null) {
    if (result.exitCode === 0) return { verdict: 'accept', result, output };
    if (result.exitCode === 1) return { verdict: 'reject', result, output };
  }
  return { verdict: 'error', result, output, problem: `${who}: ${describeExit(result)} (expected exit 0 or 1)` };
}

/** The real Heartbeat 3.0.6's verdict on configDir (see the top of this file for how). */
/**
 * Setup lines that take eth0's carrier away (its veth peer goes down; eth0 stays up with its address) and wait,
 * bounded, until the kernel reports it (operstate follows the carrier through deferred linkwatch work).
 */
export function noCarrierSetup(): string[] {
  return [
    'ip link set veth1 down',
    // /sys shows the host's interfaces here (it was not remounted): ask netlink.
    'i=0; until ip -o link show dev eth0 | grep -q NO-CARRIER || [ $i -ge 100 ]; do sleep 0.02; i=$((i+1)); done',
    'ip -o link show dev eth0 | grep -q NO-CARRIER',
  ];
}

export async function realVerdict(configDir: string, node: string, timeoutMs = 10_000, carrier = true): Promise<VerdictRun> {
  const result = await runInFreshNamespaces([REAL_HEARTBEAT, '-r'], {
    hostname: node,
    eth0: VERDICT_ETH0,
    binds: [{ source: configDir, target: '/etc/ha.d' }],
    tmpfs: ['/run', '/var/log'],
    // "heartbeat -r" wants a running heartbeat to signal: point it at itself (PID 1 ignores the SIGHUP).
    setup: ['echo 1 > /run/heartbeat.pid', 'mkdir -p /run/heartbeat', ...(carrier ? [] : noCarrierSetup())],
    timeoutMs,
  });
  return judge(result, 'real heartbeat');
}

/** heartbeat-ts's verdict: `heartbeat --check-config --config-dir DIR --node-name NODE`, same namespaces. */
export async function ourVerdict(configDir: string, node: string, timeoutMs = 15_000, carrier = true): Promise<VerdictRun> {
  const argv = [process.execPath, cliPath('heartbeat'), '--check-config', '--config-dir', configDir, '--node-name', node];
  const result = await runInFreshNamespaces(argv, {
    hostname: node,
    eth0: VERDICT_ETH0,
    tmpfs: ['/run', '/var/log'],
    setup: carrier ? [] : noCarrierSetup(),
    timeoutMs,
  });
  return judge(result, 'heartbeat-ts');
}

/** "Nov 24 23:47:14 alpha heartbeat: [1]: ERROR: x" → "ERROR: x" (also the "2026/11/24_23:49:40 " form). */
export function stripLogPrefix(line: string): string {
  return line.replace(/^.*?heartbeat: \[\d+\]: /, '').replace(/^\d{4}\/\d\d\/\d\d_\d\d:\d\d:\d\d /, '');
}
