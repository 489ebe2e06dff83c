// Ping nodes through the system's iputils `ping` (Node has no raw sockets): each reply is a 'ping-reply'.
//
// heartbeat 3.0.6 sends one ICMP echo per local status and marks the ping node `ping` on each reply,
// `dead` after deadping without one (spec §4.6). We run one `ping -n -i <keepalive>` per host, for the
// daemon's lifetime, and turn every "bytes from" line into an event. A ping_group is alive when any
// member answers. Ping traffic never reaches the other cluster node; only its effect does.
import { spawn, type ChildProcess } from 'node:child_process';
import type { ClusterConfig } from '../config/model.js';

/** Restart a `ping` that exited after this long (it should not exit; e.g. "Network is unreachable"). */
const RESPAWN_DELAY_MS = 2000;

export class PingNodes {
  private readonly children = new Map<string, ChildProcess>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly config: ClusterConfig,
    private readonly reply: (node: string) => void,
    private readonly problem: (text: string) => void,
  ) {}

  /** [node name, host] for every ping and ping_group member. */
  targets(): [string, string][] {
    const out: [string, string][] = [];
    for (const m of this.config.media) {
      if (m.kind === 'ping' || m.kind === 'ping6') out.push([m.host.toLowerCase(), m.host]); // iputils ping takes both families
      if (m.kind === 'ping_group') for (const h of m.hosts) out.push([m.name.toLowerCase(), h]);
    }
    return out;
  }

  start(): void {
    for (const [node, host] of this.targets()) this.spawnPing(node, host);
  }

  private spawnPing(node: string, host: string): void {
    if (this.stopped) return;
    // iputils ping: intervals below 0.2 s need root; keep to the keepalive, at least 0.2 s.
    const interval = Math.max(0.2, this.config.keepaliveMs / 1000).toFixed(3);
    const child = spawn('ping', ['-n', '-i', interval, '-W', '1', host], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(`${node}\u0000${host}`, child);
    let partial = '';
    child.stdout.setEncoding('latin1').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 4096) partial = '';
      for (const line of lines) if (/ bytes from /.test(line)) this.reply(node);
    });
    let errText = '';
    child.stderr.setEncoding('latin1').on('data', (c: string) => {
      if (errText.length < 500) errText += c;
    });
    child.on('error', (e) => this.problem(`ping ${host}: cannot run ping: ${e.message}`));
    child.on('exit', (code) => {
      this.children.delete(`${node}\u0000${host}`);
      if (this.stopped) return;
      this.problem(`ping ${host}: ping exited (${code ?? 'signal'}) ${errText.trim()}; restarting in ${RESPAWN_DELAY_MS / 1000} s`);
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.spawnPing(node, host);
      }, RESPAWN_DELAY_MS);
      this.timers.add(t);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.children.values()) c.kill('SIGTERM');
    this.children.clear();
  }
}
