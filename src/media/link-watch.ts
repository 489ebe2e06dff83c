// Link and address events of this network namespace, from one `ip -o monitor link address` child (netlink
// multicast groups RTMGRP_LINK and RTMGRP_IPV4/6_IFADDR, read by iproute2: no native addon, no polling).
//
// UDP media subscribe by interface name while they are open. The child runs only while someone subscribes; if
// it exits while needed, it is started again after RESTART_DELAY_MS (at most once per that delay, so a missing
// `ip` costs one attempt every few seconds, not a busy loop). If the daemon dies without closing it, the child
// dies of SIGPIPE at the next event it tries to write.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/**
 * The monitor, under util-linux's setpriv --pdeathsig where it exists: a daemon that is SIGKILLed takes its
 * `ip monitor` with it (the kernel sends the child SIGKILL), instead of leaving it to linger until the next link
 * event. util-linux is essential on Debian; without setpriv the monitor runs as it is.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
const MONITOR: readonly [string, ...string[]] =
  SETPRIV === undefined ? ['ip', '-o', 'monitor', 'link', 'address'] : [SETPRIV, '--pdeathsig', 'KILL', '--', 'ip', '-o', 'monitor', 'link', 'address'];

export interface LinkEvent {
  readonly ifindex: number;
  readonly name: string;
  /** A link line (RTM_NEWLINK/DELLINK) rather than an address line. */
  readonly link: boolean;
  /** "Deleted …": the interface (link line) or the address (address line) went away. */
  readonly deleted: boolean;
}

export const RESTART_DELAY_MS = 5000;

/**
 * One line of `ip -o monitor link address`: "9: eth1@if10: <BROADCAST,…> mtu 1500 … state UP …",
 * "Deleted 9: eth1@NONE: <…> …", "9: eth1    inet 203.0.113.11/24 brd … scope global eth1\…". Optional
 * "[LINK]"/"[ADDR]" prefixes (ip -t / label) are skipped.
 */
export function parseMonitorLine(line: string): LinkEvent | undefined {
  const m = /^(?:\[\w+\]\s*)?(Deleted\s+)?(\d+):\s+([^\s:@]+)(@[^\s:]*)?(:?)\s/.exec(line);
  if (m === null) return undefined;
  const link = m[5] === ':' && line.includes('<');
  return { ifindex: Number(m[2]), name: m[3] as string, link, deleted: m[1] !== undefined };
}

type Listener = (e: LinkEvent) => void;

class LinkWatch {
  private readonly listeners = new Map<string, Set<Listener>>();
  private child: ChildProcess | undefined;
  private restart: NodeJS.Timeout | undefined;

  subscribe(name: string, listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    this.ensureRunning();
    return () => {
      const s = this.listeners.get(name);
      s?.delete(listener);
      if (s !== undefined && s.size === 0) this.listeners.delete(name);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private ensureRunning(): void {
    if (this.child !== undefined || this.restart !== undefined) return;
    let child: ChildProcess;
    try {
      child = spawn(MONITOR[0], MONITOR.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      this.scheduleRestart();
      return;
    }
    this.child = child;
    let partial = '';
    child.stdout?.setEncoding('latin1').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 65536) partial = '';
      for (const line of lines) {
        const e = parseMonitorLine(line);
        if (e === undefined) continue;
        for (const l of [...(this.listeners.get(e.name) ?? [])]) {
          try {
            l(e);
          } catch {
            /* a listener's failure is its own */
          }
        }
      }
    });
    child.on('error', () => undefined); // 'exit' (or nothing, for ENOENT) follows; the restart covers both
    child.on('close', () => {
      if (this.child === child) this.child = undefined;
      if (this.listeners.size > 0) this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    if (this.restart !== undefined) return;
    this.restart = setTimeout(() => {
      this.restart = undefined;
      if (this.listeners.size > 0) this.ensureRunning();
    }, RESTART_DELAY_MS);
    this.restart.unref();
  }

  private stop(): void {
    if (this.restart !== undefined) clearTimeout(this.restart);
    this.restart = undefined;
    const c = this.child;
    this.child = undefined;
    c?.kill('SIGTERM');
  }
}

const shared = new LinkWatch();

/** Calls listener for every link or address event of the interface until the returned function is called. */
export function watchLink(name: string, listener: Listener): () => void {
  return shared.subscribe(name, listener);
}
