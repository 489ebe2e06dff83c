// Lab additions for media tests: a second link between two nodes, and media-peer processes driven over stdin.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Medium } from '../../src/config/model.js';
import { FrameLog, type MediumEnd } from './medium-conformance.js';
import { assertTestAddress, runOk, StartedProcess, type Lab } from './netns.js';
import { distDir } from './paths.js';

export const MEDIA_PEER = path.join(distDir, 'test', 'helpers', 'media-peer.js');

export interface LinkEnd {
  readonly node: string;
  /** Interface name inside the node, e.g. eth1. */
  readonly ifname: string;
  /** CIDR in one of the test networks. */
  readonly address: string;
}

/**
 * A veth pair straight between two lab nodes (no bridge), addresses with broadcast set, both ends up. Both
 * ends live in the nodes' namespaces, so the lab's teardown (deleting the namespaces) removes them.
 */
export async function addLink(lab: Lab, x: LinkEnd, y: LinkEnd): Promise<void> {
  assertTestAddress(x.address);
  assertTestAddress(y.address);
  const nx = lab.node(x.node).netns;
  const ny = lab.node(y.node).netns;
  await runOk(['ip', '-n', nx, 'link', 'add', x.ifname, 'type', 'veth', 'peer', 'name', y.ifname, 'netns', ny]);
  for (const [ns, end] of [[nx, x], [ny, y]] as const) {
    await runOk(['ip', '-n', ns, 'addr', 'add', end.address, 'brd', '+', 'dev', end.ifname]);
    await runOk(['ip', '-n', ns, 'link', 'set', end.ifname, 'up']);
  }
  for (const [ns, end] of [[nx, x], [ny, y]] as const) await waitOperUp(ns, end.ifname, 5000);
}

/**
 * Waits until the kernel reports the link operationally up. The operstate follows the carrier through the
 * deferred linkwatch work, and until then os.networkInterfaces() (libuv: IFF_UP and IFF_RUNNING only) does
 * not list the interface at all. No event for it here, so this polls every 20 ms, bounded by timeoutMs.
 */
export async function waitOperUp(netns: string, ifname: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await runOk(['ip', '-n', netns, '-o', 'link', 'show', 'dev', ifname]);
    if (/ state UP /.test(r.stdout)) return;
    if (Date.now() >= deadline) throw new Error(`${ifname} in ${netns} not up within ${timeoutMs} ms: ${r.stdout.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface StdinProcess {
  readonly proc: StartedProcess;
  readonly child: ChildProcess;
  readonly stdin: Writable;
}

/**
 * Starts argv inside a node like lab.start, but with stdin as a pipe (lab.start gives /dev/null). The process
 * is not in the lab's own list, so stop it yourself; the lab's teardown still kills by PID whatever is left
 * in the node's namespace.
 */
export function startWithStdin(lab: Lab, where: string, argv: readonly string[]): StdinProcess {
  const [file, ...args] = lab.argvIn(where, argv);
  if (file === undefined) throw new Error('startWithStdin: empty argv');
  const child = spawn(file, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const proc = new StartedProcess(child, argv); // sets stdout's encoding to utf8
  const stdin = child.stdin;
  if (stdin === null) throw new Error('startWithStdin: no stdin pipe');
  stdin.on('error', () => undefined); // EPIPE once the process is gone: its exit says more
  return { proc, child, stdin };
}

const WAIT_MS = 10_000;

/** A media-peer process in a lab node, seen as a MediumEnd (see media-peer.ts for the line protocol). */
export class MediaPeerProcess implements MediumEnd {
  readonly log = new FrameLog();
  /** Resolves on `ready`; rejects with the start() error on `start-failed`, or if the process dies first. */
  readonly started: Promise<void>;
  private readonly p: StdinProcess;
  private readonly lineWaiters = new Set<(line: string | null) => void>();
  private partial = '';
  private syncSeq = 0;
  private closeRequests = 0;
  private readonly closeAcks: string[] = [];
  private sendThrew: string | undefined;

  constructor(
    lab: Lab,
    where: string,
    medium: Medium,
    readonly label: string = where,
  ) {
    this.p = startWithStdin(lab, where, [process.execPath, MEDIA_PEER, JSON.stringify(medium)]);
    this.p.child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    void this.p.proc.exited.then(() => {
      for (const w of [...this.lineWaiters]) w(null);
    });
    this.started = this.waitLine((l) => l === 'ready' || l.startsWith('start-failed '), 'ready').then((l) => {
      if (l !== 'ready') throw new Error(l.slice('start-failed '.length));
    });
    this.started.catch(() => undefined);
  }

  get proc(): StartedProcess {
    return this.p.proc;
  }

  private onData(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  private onLine(line: string): void {
    const space = line.indexOf(' ');
    const [event, arg] = space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
    if (event === 'frame') this.log.frame(Buffer.from(arg, 'base64'));
    else if (event === 'problem') this.log.problem(arg);
    else if (event === 'send-threw') this.sendThrew ??= arg;
    else if (event === 'closed' || event === 'close-failed') this.closeAcks.push(line);
    for (const w of [...this.lineWaiters]) w(line);
  }

  private waitLine(pred: (line: string) => boolean, what: string, timeoutMs = WAIT_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (line: string | null): void => {
        if (line !== null && !pred(line)) return;
        clearTimeout(timer);
        this.lineWaiters.delete(check);
        if (line === null) reject(new Error(`${this.label}: media-peer exited before ${what}: ${this.p.proc.stderr.trim()}`));
        else resolve(line);
      };
      const timer = setTimeout(() => {
        this.lineWaiters.delete(check);
        reject(new Error(`${this.label}: no ${what} from media-peer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.lineWaiters.add(check);
      if (!this.p.proc.running) check(null);
    });
  }

  private command(line: string): void {
    this.p.stdin.write(`${line}\n`);
  }

  send(bytes: Uint8Array): void {
    this.command(`send ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`);
  }

  async settled(): Promise<void> {
    const token = String(++this.syncSeq);
    const synced = this.waitLine((l) => l === `synced ${token}`, `synced ${token}`);
    this.command(`sync ${token}`);
    await synced;
    if (this.sendThrew !== undefined) throw new Error(`${this.label}: send() threw: ${this.sendThrew}`);
  }

  async close(): Promise<void> {
    const n = ++this.closeRequests;
    const acked = this.closeAcks.length >= n ? Promise.resolve('') : this.waitLine(() => this.closeAcks.length >= n, `close #${n}`);
    this.command('close');
    await acked;
    const ack = this.closeAcks[n - 1] ?? '';
    if (ack !== 'closed') throw new Error(`${this.label}: close() failed: ${ack}`);
  }

  /** Ends stdin (the peer closes its medium and exits 0); TERM/KILL by PID if it has not exited in time. */
  async stop(): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }> {
    this.p.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), 3000)));
    const first = await Promise.race([this.p.proc.exited, late]);
    clearTimeout(timer);
    if (first === 'late') await this.p.proc.stop(1000);
    return this.p.proc.exited;
  }
}

/** Starts a media-peer in a node and waits until its medium has started (throws the start() error if not). */
export async function startMediaPeer(lab: Lab, where: string, medium: Medium, label?: string): Promise<MediaPeerProcess> {
  const peer = new MediaPeerProcess(lab, where, medium, label);
  try {
    await peer.started;
  } catch (err) {
    await peer.stop();
    throw err;
  }
  return peer;
}
