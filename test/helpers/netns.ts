// Network-namespace test harness: labs of namespaces joined by a bridge, one-shot fresh namespaces, processes by PID.
/*
 * What this gives a test (root only; gate the test with requireRootAndCommands first)
 * -----------------------------------------------------------------------------------
 *
 * 1. A lab: a set of network namespaces created for this test alone.
 *
 *        [node alpha] eth0 198.51.100.11/24 ─┐
 *        [node bravo] eth0 198.51.100.12/24 ─┼── br0 in [bridge ns] (198.51.100.1/24, usable as a ping node)
 *        [node client] eth0 198.51.100.13/24 ┘
 *
 *    An *isolated* node (the default) also gets its own UTS namespace (hostname = node name) and its own
 *    private mount namespace in which these are private to the node:
 *        /etc/ha.d           <- bind of <lab root>/<node>/ha.d    (seeded with a copy of the host's /etc/ha.d)
 *        /var/lib/heartbeat  <- bind of <lab root>/<node>/varlib  (seeded with a copy of the host's tree)
 *        /var/log            <- bind of <lab root>/<node>/log     (logs stay readable from the host)
 *        /run                <- a fresh tmpfs with the directories Heartbeat expects
 *    A long-lived "anchor" process (`sleep infinity`) holds those namespaces; every command for the node
 *    runs through `nsenter -t <anchor> -n -m -u`. A non-isolated node is just a network namespace
 *    (`ip netns exec`). Tests write config files through `lab.node('alpha').haDir` on the host side.
 *
 * 2. runInFreshNamespaces(argv, opts): run one command as PID 1 of brand-new PID+UTS+mount+net
 *    namespaces (hostname, bind mounts, tmpfs mounts, an optional veth "eth0"), wait for it, and let the
 *    kernel reap everything it left behind. Used for "what does this binary say about this config".
 *
 * 3. run(argv, opts), runOk, startProcess, killPid, waitForPidGone (from processes.ts, re-exported here):
 *    spawn without a shell, with a timeout (SIGKILL to the process group we created); processes by PID.
 *
 * Rules this file enforces or follows (see the project's network rules):
 *   - Nothing is ever added to the root namespace: every `ip` command names its namespace (`ip -n NS`) or
 *     runs inside a fresh one. Veths are created inside the bridge namespace and their peer is moved to
 *     the node. Addresses must lie in 198.51.100.0/24 or 203.0.113.0/24, or 2001:db8::/32 for IPv6 (checked).
 *   - Names are unique per run: hbts-<label>-<our pid>-<seq>-<node>. A crashed run's leftovers never
 *     collide with ours; cleanupStaleLabs() removes those whose creator pid is gone.
 *   - Processes are started by us and killed by PID (or by the process group / PID namespace we created),
 *     never by name. Teardown always runs (createLab registers it with t.after) and kills what lives in
 *     the lab's namespaces, deletes them and removes the lab's temporary directory.
 *   - Every wait is bounded in time.
 *
 * Usage:
 *   import { createLab } from '../helpers/netns.js';
 *   test('two nodes see each other', async (t) => {
 *     if (!requireRootAndCommands(t, ['nsenter'])) return;
 *     const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }] });
 *     fs.writeFileSync(path.join(lab.node('alpha').haDir, 'ha.cf'), '...');
 *     const ping = await lab.exec('alpha', ['ping', '-c1', '-W1', lab.node('bravo').ip]);
 *     assert.equal(ping.exitCode, 0);
 *     const rx = lab.start('bravo', ['socat', '-d', '-d', '-u', 'UDP4-RECV:694', '-']);   // a StartedProcess
 *     await rx.waitForOutput(/starting data transfer loop/, 5000);                    // bound: an event, no sleep
 *     await lab.exec('alpha', ['socat', '-u', 'STDIO', `UDP4-SENDTO:${lab.node('bravo').ip}:694`], { input: 'hi\n' });
 *     await rx.waitForOutput(/^hi$/m, 5000);
 *     await rx.stop();                  // TERM, then KILL after a grace period
 *   });                                 // teardown: kill leftovers by PID, delete namespaces, remove files
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import {
  describeExit,
  isAlive,
  killPid,
  run,
  runOk,
  runWith,
  shQuote,
  startProcess,
  waitForPidGone,
  type RunOptions,
  type RunResult,
  type StartedProcess,
} from './processes.js';

export * from './processes.js';

/* ------------------------------------------------------------------ addresses */

const ALLOWED_NETS: readonly { readonly prefix: string; readonly name: string }[] = [
  { prefix: '198.51.100.', name: '198.51.100.0/24' },
  { prefix: '203.0.113.', name: '203.0.113.0/24' },
];

/** The IPv6 documentation prefix, the only IPv6 network tests may use (never fd00::/8). */
const ALLOWED_NET6 = { prefix: '2001:db8:', name: '2001:db8::/32' };

/**
 * Throws unless cidr is "a.b.c.d/len" inside one of the two IPv4 documentation networks tests may use, or an
 * IPv6 "2001:db8:…/len" (len 32 to 128) inside 2001:db8::/32.
 */
export function assertTestAddress(cidr: string): void {
  if (cidr.includes(':')) {
    const m = /^([0-9a-f:]+)\/(\d{1,3})$/i.exec(cidr);
    const ok = m !== null && (m[1] ?? '').toLowerCase().startsWith(ALLOWED_NET6.prefix) && Number(m[2]) >= 32 && Number(m[2]) <= 128;
    if (!ok) throw new Error(`address ${cidr} is not allowed: IPv6 tests use only ${ALLOWED_NET6.name}`);
    return;
  }
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octetsOk = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) >= 24 && Number(m[5]) <= 32;
  if (!octetsOk || !ALLOWED_NETS.some((n) => cidr.startsWith(n.prefix))) {
    throw new Error(`address ${cidr} is not allowed: tests use only ${ALLOWED_NETS.map((n) => n.name).join(' and ')}`);
  }
}

/** "198.51.100.11/24" → "198.51.100.11". */
export function addressOf(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

/* ------------------------------------------------------------------ one-shot fresh namespaces */

export interface BindMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

export interface FreshNamespaceOptions extends RunOptions {
  /** uname -n inside. */
  readonly hostname: string;
  /** Bind mounts, made in the new private mount namespace only. */
  readonly binds?: readonly BindMount[];
  /** Directories that get a fresh tmpfs (e.g. /run, /var/log). */
  readonly tmpfs?: readonly string[];
  /**
   * When set, a veth pair is created inside the new network namespace: "eth0" with this address (broadcast
   * set) and its peer "veth1", both up. Both ends stay inside; nothing touches the root namespace.
   */
  readonly eth0?: string;
  /** Extra /bin/sh lines run after mounts and links, before the command (quote with shQuote). */
  readonly setup?: readonly string[];
}

/**
 * Runs argv as PID 1 of new PID+UTS+mount+net namespaces (`unshare --pid --fork --kill-child --mount-proc`).
 * Whatever the command forks dies with it, and the namespaces vanish with their last process, so there is
 * nothing to tear down. Throws if the namespaces could not be set up (so a setup failure is never mistaken
 * for the command's own exit status).
 */
export async function runInFreshNamespaces(argv: readonly string[], opts: FreshNamespaceOptions): Promise<RunResult> {
  if (opts.eth0 !== undefined) assertTestAddress(opts.eth0);
  const lines = ['set -e', `hostname ${shQuote(opts.hostname)}`];
  for (const b of opts.binds ?? []) {
    lines.push(`mount --bind ${shQuote(b.source)} ${shQuote(b.target)}`);
    if (b.readOnly === true) lines.push(`mount -o remount,bind,ro ${shQuote(b.target)}`);
  }
  for (const dir of opts.tmpfs ?? []) lines.push(`mount -t tmpfs -o mode=0755 tmpfs ${shQuote(dir)}`);
  lines.push('ip link set lo up');
  if (opts.eth0 !== undefined) {
    lines.push(
      'ip link add eth0 type veth peer name veth1',
      'ip link set veth1 up',
      `ip addr add ${shQuote(opts.eth0)} brd + dev eth0`,
      'ip link set eth0 up',
    );
  }
  lines.push(...(opts.setup ?? []));
  // fd 3 tells us the setup completed; it is closed before the command runs.
  lines.push('echo ready >&3', 'exec 3>&-', 'exec "$@"');
  const script = lines.join('\n');
  const full = [
    'unshare', '--pid', '--fork', '--kill-child', '--mount-proc', '--uts', '--mount', '--net', '--propagation', 'private',
    '--', '/bin/sh', '-c', script, 'fresh-ns', ...argv,
  ];
  let ready = false;
  const result = await runWith(full, opts, {
    extraFds: 1,
    onSpawn: (child) => {
      const ctl = child.stdio[3];
      if (ctl && 'on' in ctl) ctl.on('data', () => (ready = true)).on('error', () => undefined);
    },
  });
  if (!ready) {
    throw new Error(`fresh namespaces could not be set up (${describeExit(result)}): ${result.stderr.trim()}`);
  }
  return { ...result, argv };
}

/* ------------------------------------------------------------------ labs */

export interface LabNodeOptions {
  /** Node name: lower case letters, digits and '-'; also the hostname of an isolated node. Not "bridge". */
  readonly name: string;
  /** eth0 address, CIDR. Default 198.51.100.(11 + index)/24. */
  readonly address?: string;
  /** Own UTS + mount namespaces with private Heartbeat directories (see the top of this file). Default true. */
  readonly isolated?: boolean;
  /** Seed the private ha.d and varlib with copies of the host's /etc/ha.d and /var/lib/heartbeat. Default true. */
  readonly seedFromHost?: boolean;
}

export interface LabOptions {
  readonly nodes: readonly LabNodeOptions[];
  /** Address of br0 in the bridge namespace (a handy ping node); null for none. Default 198.51.100.1/24. */
  readonly bridgeAddress?: string | null;
  /** Short tag in namespace names, [a-z0-9]{1,8}. Default "lab". */
  readonly label?: string;
  /** Keep the lab's temporary directory after teardown (for reading logs). Default false. */
  readonly keepFiles?: boolean;
}

export interface LabNode {
  readonly name: string;
  /** The `ip netns` name. */
  readonly netns: string;
  /** eth0 address with prefix length, e.g. 198.51.100.11/24. */
  readonly address: string;
  /** eth0 address alone, e.g. 198.51.100.11. */
  readonly ip: string;
  readonly isolated: boolean;
  /** PID of the anchor holding the UTS and mount namespaces (isolated nodes only). */
  readonly anchorPid: number | undefined;
  /** Host-side paths of the node's private /etc/ha.d, /var/lib/heartbeat and /var/log (isolated nodes). */
  readonly haDir: string;
  readonly varLibDir: string;
  readonly logDir: string;
}

const NAME_PREFIX = 'hbts';

/** Regular files, directories and symlinks only: a running daemon's FIFO or socket is state, not seed. */
function copyable(source: string): boolean {
  const st = fs.lstatSync(source);
  return st.isFile() || st.isDirectory() || st.isSymbolicLink();
}
const SETUP_TIMEOUT_MS = 10_000;
let labSeq = 0;

let staleSweep: Promise<unknown> | undefined;

/**
 * Creates a lab and registers its teardown with t.after, so it runs however the test ends. The first lab of a
 * process also sweeps away labs left by crashed runs (cleanupStaleLabs).
 */
export async function createLab(t: TestContext, opts: LabOptions): Promise<Lab> {
  staleSweep ??= cleanupStaleLabs().catch(() => undefined);
  await staleSweep;
  const lab = new Lab(opts);
  t.after(() => lab.teardown());
  await lab.setUp();
  return lab;
}

export class Lab {
  /** Unique per lab: <label>-<our pid>-<seq>. */
  readonly id: string;
  /** Temporary directory holding the nodes' private trees. */
  readonly root: string;
  readonly bridgeNetns: string;
  private readonly nodes = new Map<string, LabNode>();
  private readonly createdNetns: string[] = [];
  private readonly anchors: StartedProcess[] = [];
  private readonly started: StartedProcess[] = [];
  private torn = false;

  constructor(private readonly opts: LabOptions) {
    const label = opts.label ?? 'lab';
    if (!/^[a-z0-9]{1,8}$/.test(label)) throw new Error(`lab label ${JSON.stringify(label)} must match [a-z0-9]{1,8}`);
    this.id = `${label}-${process.pid}-${++labSeq}`;
    this.bridgeNetns = `${NAME_PREFIX}-${this.id}-br`;
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `${NAME_PREFIX}-${this.id}-`));
    const seen = new Set<string>();
    opts.nodes.forEach((n, i) => {
      if (!/^[a-z][a-z0-9-]{0,30}$/.test(n.name) || n.name === 'bridge') throw new Error(`bad node name ${n.name}`);
      if (seen.has(n.name)) throw new Error(`node ${n.name} given twice`);
      seen.add(n.name);
      const address = n.address ?? `198.51.100.${11 + i}/24`;
      assertTestAddress(address);
      const dir = path.join(this.root, n.name);
      this.nodes.set(n.name, {
        name: n.name,
        netns: `${NAME_PREFIX}-${this.id}-${n.name}`,
        address,
        ip: addressOf(address),
        isolated: n.isolated ?? true,
        anchorPid: undefined,
        haDir: path.join(dir, 'ha.d'),
        varLibDir: path.join(dir, 'varlib'),
        logDir: path.join(dir, 'log'),
      });
    });
    if (opts.bridgeAddress) assertTestAddress(opts.bridgeAddress);
  }

  /** Builds the namespaces, bridge, veths and anchors. Called by createLab; tears down what it built on failure. */
  async setUp(): Promise<void> {
    try {
      await this.addNetns(this.bridgeNetns);
      const br = ['ip', '-n', this.bridgeNetns];
      await runOk([...br, 'link', 'set', 'lo', 'up']);
      await runOk([...br, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
      const brAddr = this.opts.bridgeAddress === undefined ? '198.51.100.1/24' : this.opts.bridgeAddress;
      if (brAddr !== null) await runOk([...br, 'addr', 'add', brAddr, 'brd', '+', 'dev', 'br0']);
      await runOk([...br, 'link', 'set', 'br0', 'up']);
      let i = 0;
      for (const node of this.nodes.values()) {
        await this.addNetns(node.netns);
        const port = `p${i++}-${node.name}`.slice(0, 15);
        await runOk([...br, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns]);
        await runOk([...br, 'link', 'set', port, 'master', 'br0', 'up']);
        const nn = ['ip', '-n', node.netns];
        await runOk([...nn, 'link', 'set', 'lo', 'up']);
        await runOk([...nn, 'addr', 'add', node.address, 'brd', '+', 'dev', 'eth0']);
        await runOk([...nn, 'link', 'set', 'eth0', 'up']);
        if (node.isolated) await this.startAnchor(node);
      }
    } catch (e) {
      await this.teardown().catch(() => undefined);
      throw e;
    }
  }

  private async addNetns(name: string): Promise<void> {
    await runOk(['ip', 'netns', 'add', name]);
    this.createdNetns.push(name);
  }

  private async startAnchor(node: LabNode): Promise<void> {
    const spec = this.opts.nodes.find((n) => n.name === node.name);
    for (const d of [node.haDir, node.varLibDir, node.logDir]) fs.mkdirSync(d, { recursive: true });
    if (spec?.seedFromHost ?? true) {
      for (const [from, to] of [['/etc/ha.d', node.haDir], ['/var/lib/heartbeat', node.varLibDir]] as const) {
        if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true, preserveTimestamps: true, filter: copyable });
      }
    }
    const script = [
      'set -e',
      `hostname ${shQuote(node.name)}`,
      `mount --bind ${shQuote(node.haDir)} /etc/ha.d`,
      `mount --bind ${shQuote(node.varLibDir)} /var/lib/heartbeat`,
      `mount --bind ${shQuote(node.logDir)} /var/log`,
      'mount -t tmpfs -o mode=0755 tmpfs /run',
      'mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm /run/lock /run/resource-agents',
      'chmod 0750 /run/heartbeat /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm',
      'chmod 1777 /run/lock',
      'if getent passwd hacluster >/dev/null && getent group haclient >/dev/null; then chown -R hacluster:haclient /run/heartbeat /run/crm; fi',
      'echo ready',
      'exec sleep infinity',
    ].join('\n');
    // ip netns exec and unshare both exec (no fork), so the spawned PID is the anchor's own.
    const argv = ['ip', 'netns', 'exec', node.netns, 'unshare', '--uts', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script];
    const anchor = this.spawnTracked(argv, this.anchors);
    await anchor.waitForOutput(/^ready$/m, SETUP_TIMEOUT_MS);
    this.nodes.set(node.name, { ...node, anchorPid: anchor.pid });
  }

  private spawnTracked(
    argv: readonly string[],
    into: StartedProcess[],
    opts: Omit<RunOptions, 'timeoutMs' | 'input'> = {},
  ): StartedProcess {
    const p = startProcess(argv, opts);
    into.push(p);
    return p;
  }

  /** The node called name (throws if there is none). */
  node(name: string): LabNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name} in lab ${this.id}`);
    return n;
  }

  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** The argv that runs argv inside a node ('bridge' = the bridge namespace). */
  argvIn(where: string, argv: readonly string[]): string[] {
    if (where === 'bridge') return ['ip', 'netns', 'exec', this.bridgeNetns, ...argv];
    const n = this.node(where);
    if (n.isolated) {
      if (n.anchorPid === undefined) throw new Error(`node ${where} has no anchor yet`);
      return ['nsenter', '-t', String(n.anchorPid), '-n', '-m', '-u', '--', ...argv];
    }
    return ['ip', 'netns', 'exec', n.netns, ...argv];
  }

  /** Runs a command to completion inside a node (or 'bridge'). */
  exec(where: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(this.argvIn(where, argv), opts);
  }

  /** Starts a long-lived process inside a node; its PID is the process's own (nsenter/ip exec, no fork). */
  start(where: string, argv: readonly string[], opts: Omit<RunOptions, 'timeoutMs' | 'input'> = {}): StartedProcess {
    if (this.torn) throw new Error(`lab ${this.id} is torn down`);
    return this.spawnTracked(this.argvIn(where, argv), this.started, opts);
  }

  /** PIDs of every process in the node's network namespace (anchors included). */
  async pidsIn(where: string): Promise<number[]> {
    return Promise.resolve(pidsInNetns(where === 'bridge' ? this.bridgeNetns : this.node(where).netns));
  }

  /**
   * Kills everything started in the lab, by PID, and deletes its namespaces and files. Idempotent; bounded
   * (a few seconds at most); throws after finishing if something could not be cleaned.
   */
  async teardown(): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    const problems: string[] = [];
    // 1. Processes we started: TERM, KILL after a grace period.
    await Promise.all(this.started.map((p) => p.stop(2000)));
    // 2. Anything else living in the namespaces (daemons that forked, their children): KILL by PID, then look
    //    again: a process can fork between a listing and its kill (a real Heartbeat master once left such a
    //    child behind, in a namespace that had lost its name). Bounded: TEARDOWN_PASSES listings.
    const anchorPids = new Set(this.anchors.map((a) => a.pid));
    const listLeftovers = (): number[] => {
      const found: number[] = [];
      for (const ns of this.createdNetns) {
        try {
          for (const pid of pidsInNetns(ns)) if (!anchorPids.has(pid) && pid !== process.pid) found.push(pid);
        } catch (e) {
          problems.push(`listing the processes of ${ns}: ${(e as Error).message}`);
        }
      }
      return found;
    };
    let leftovers = listLeftovers();
    for (let pass = 1; leftovers.length > 0; pass++) {
      for (const pid of leftovers) killPid(pid, 'SIGKILL');
      for (const pid of leftovers) {
        if (!(await waitForPidGone(pid, 2000))) problems.push(`pid ${pid} survived SIGKILL`);
      }
      if (pass === TEARDOWN_PASSES) break;
      leftovers = listLeftovers();
    }
    if (leftovers.length > 0 && listLeftovers().length > 0) problems.push(`processes still appearing after ${TEARDOWN_PASSES} kill passes: ${listLeftovers().join(' ')}`);
    // 3. Anchors last: their mount namespaces (and bind mounts) go with them.
    await Promise.all(this.anchors.map((a) => a.stop(0)));
    // 4. Namespaces, nodes before the bridge (deleting a node's netns removes its veth pair).
    for (const ns of [...this.createdNetns].reverse()) {
      const r = await run(['ip', 'netns', 'del', ns], { timeoutMs: 5000 }).catch((e: Error) => e);
      if (r instanceof Error || r.exitCode !== 0) {
        problems.push(`ip netns del ${ns}: ${r instanceof Error ? r.message : r.stderr.trim()}`);
      }
    }
    if (this.opts.keepFiles !== true) fs.rmSync(this.root, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`lab ${this.id} teardown: ${problems.join('; ')}`);
  }
}

/** Listings (and SIGKILL rounds) a teardown makes before it gives up on a namespace's processes. */
const TEARDOWN_PASSES = 5;

/**
 * PIDs of the processes in a named network namespace, read from /proc as `ip netns pids` does (the
 * namespace's inode against each /proc/PID/ns/net), without a child process that could time out. Throws if
 * the namespace has no name any more.
 */
export function pidsInNetns(name: string): number[] {
  const want = `net:[${fs.statSync(path.join('/run/netns', name)).ino}]`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/net`) === want) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or a kernel thread
    }
  }
  return pids;
}

/**
 * Deletes namespaces and temporary directories left by labs whose creating process is gone (a crashed or
 * killed test run), after killing by PID whatever still lives in them. Returns the namespaces removed.
 */
export async function cleanupStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  const owner = (name: string): number | undefined => {
    const m = new RegExp(`^${NAME_PREFIX}-[a-z0-9]+-(\\d+)-\\d+-`).exec(name);
    return m ? Number(m[1]) : undefined;
  };
  const list = await run(['ip', 'netns', 'list'], { timeoutMs: 5000 });
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = owner(name);
    if (pid === undefined || isAlive(pid)) continue;
    for (let pass = 0; pass < TEARDOWN_PASSES; pass++) {
      const pids = pidsInNetns(name);
      if (pids.length === 0) break;
      for (const pid of pids) killPid(pid, 'SIGKILL');
      for (const pid of pids) await waitForPidGone(pid, 2000);
    }
    await run(['ip', 'netns', 'del', name], { timeoutMs: 5000 });
    removed.push(name);
  }
  for (const entry of fs.readdirSync(os.tmpdir())) {
    const pid = owner(entry);
    if (pid !== undefined && !isAlive(pid)) fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
  }
  return removed;
}
