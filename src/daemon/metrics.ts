// Observability beyond Heartbeat: an optional Prometheus endpoint (off by default, loopback only).
//
// The daemon feeds `Metrics` with what happens (every core action, every received frame, every resource
// script run, every takeover or hand-over) and the endpoint renders it with a snapshot of the present state
// (node and link status, last-heard ages, drop counts) in the Prometheus text format 0.0.4. Counting is a few
// map updates per event, nothing on the heartbeat path allocates per scrape, and the HTTP server answers
// GET /metrics only.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Membership } from '../membership/core.js';
import type { Action } from '../membership/types.js';
import { getString } from '../wire/index.js';
import type { PeerAgreement } from '../node/config-agreement.js';
import type { MonitorView } from '../resources/monitor.js';

export interface NodeSnapshot {
  readonly name: string;
  readonly type: 'normal' | 'ping';
  readonly status: string;
  /** Milliseconds since anything was last heard from it; undefined when never. */
  readonly lastHeardAgeMs: number | undefined;
  readonly links: readonly { readonly medium: string; readonly status: string }[];
}

export interface MetricsSnapshot {
  readonly localNode: string;
  readonly localStatus: string;
  readonly nodes: readonly NodeSnapshot[];
  /** Received frames dropped, by reason (the core's counts). */
  readonly drops: ReadonlyMap<string, number>;
  /** API problems since the socket opened, by kind (api/problems.ts); absent before comm-up. */
  readonly apiProblems?: Readonly<Record<string, number>>;
  /** The service monitor's resources (issue 17); absent without a monitors file. */
  readonly monitors?: readonly MonitorView[];
}

const NODE_STATUSES = ['init', 'up', 'active', 'dead', 'ping'] as const;

/** Prometheus label values: backslash, double quote and newline escaped. */
function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Readonly<Record<string, string>>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${label(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** A counter family keyed by its labels. */
class Family {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}

  add(pairs: Readonly<Record<string, string>>, by = 1): void {
    const key = labels(pairs);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`);
    for (const [key, v] of this.values) out.push(`${this.name}${key} ${v}`);
  }
}

export class Metrics {
  private readonly sent = new Family('heartbeat_messages_sent_total', 'Cluster messages sent, by reason (each goes out on every medium).', 'counter');
  private readonly received = new Family('heartbeat_frames_received_total', 'Frames received, by local medium (before authentication).', 'counter');
  private readonly delivered = new Family('heartbeat_messages_delivered_total', 'Messages from live peers handed to the layers above, by type.', 'counter');
  private readonly nodeChanges = new Family('heartbeat_node_status_changes_total', 'Node status changes, by node and new status.', 'counter');
  private readonly linkChanges = new Family('heartbeat_link_status_changes_total', 'Link status changes, by node, medium and new status.', 'counter');
  private readonly restarts = new Family('heartbeat_restarts_total', 'Self-restarts with a new generation (silent longer than deadtime).', 'counter');
  private readonly ops = new Family('heartbeat_resource_operations_total', 'Resource script runs, by resource, operation and outcome.', 'counter');
  private readonly opSeconds = new Family('heartbeat_resource_operation_seconds_total', 'Time spent in resource scripts, by resource and operation.', 'counter');
  private readonly groupChanges = new Family('heartbeat_resource_group_changes_total', 'Resource groups acquired or released here (takeovers, failbacks, standby, shutdown), by group and change.', 'counter');
  private readonly configDifferences = new Family('heartbeat_config_differences_total', 'Configuration differences reported (logged) against a peer\'s announced digests, by node and file (haresources, authkeys, ha.cf).', 'counter');
  /** Each peer's configuration verdict now (same, differs, unknown). */
  private readonly configVerdicts = new Map<string, string>();
  private readonly loop: IntervalHistogram;
  /** Groups acquired and not released since. */
  private readonly held = new Set<string>();

  constructor() {
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
  }

  /** Every action the membership core produced. */
  action(a: Action): void {
    switch (a.kind) {
      case 'send':
        this.sent.add({ reason: a.reason });
        break;
      case 'node-status':
        this.nodeChanges.add({ node: a.node, status: a.status });
        break;
      case 'link-status':
        this.linkChanges.add({ node: a.node, medium: a.medium, status: a.status });
        break;
      case 'deliver':
        this.delivered.add({ type: getString(a.message, 't') ?? '' });
        break;
      case 'restart':
        this.restarts.add({});
        break;
      default:
        break;
    }
  }

  frame(medium: string): void {
    this.received.add({ medium });
  }

  /** A peer's configuration verdict changed: every difference reported is counted, the verdict kept as a gauge. */
  configAgreement(a: PeerAgreement): void {
    for (const d of a.differences) this.configDifferences.add({ node: a.node, file: d.file });
    this.configVerdicts.set(a.node, a.verdict);
  }

  resourceOperation(resource: string, operation: string, outcome: string, ms: number): void {
    this.ops.add({ resource, operation, outcome });
    this.opSeconds.add({ resource, operation }, ms / 1000);
  }

  /** A resource group was acquired (all its resources started) or released (stopped) by this node. */
  groupChange(group: string, change: 'acquired' | 'released'): void {
    this.groupChanges.add({ group, change });
    if (change === 'acquired') this.held.add(group);
    else this.held.delete(group);
  }

  /** The whole exposition, with the present state from `s`. */
  render(s: MetricsSnapshot): string {
    const out: string[] = [];
    out.push('# HELP heartbeat_node_status 1 for the status each node is in now (the local node included).', '# TYPE heartbeat_node_status gauge');
    const all: NodeSnapshot[] = [{ name: s.localNode, type: 'normal', status: s.localStatus, lastHeardAgeMs: undefined, links: [] }, ...s.nodes];
    for (const n of all) {
      for (const st of NODE_STATUSES) out.push(`heartbeat_node_status${labels({ node: n.name, status: st })} ${n.status === st ? 1 : 0}`);
    }
    out.push('# HELP heartbeat_node_last_heard_seconds Seconds since anything was heard from the node.', '# TYPE heartbeat_node_last_heard_seconds gauge');
    for (const n of s.nodes) if (n.lastHeardAgeMs !== undefined) out.push(`heartbeat_node_last_heard_seconds${labels({ node: n.name })} ${(n.lastHeardAgeMs / 1000).toFixed(3)}`);
    out.push('# HELP heartbeat_link_up 1 when the link to a node over a local medium is up.', '# TYPE heartbeat_link_up gauge');
    for (const n of s.nodes) for (const l of n.links) out.push(`heartbeat_link_up${labels({ node: n.name, medium: l.medium })} ${l.status === 'up' ? 1 : 0}`);
    out.push('# HELP heartbeat_frames_dropped_total Received frames dropped, by reason.', '# TYPE heartbeat_frames_dropped_total counter');
    for (const [reason, n] of s.drops) out.push(`heartbeat_frames_dropped_total${labels({ reason })} ${n}`);
    out.push('# HELP heartbeat_api_problems_total API client problems (bad frames, refused signons, bad requests, dropped clients), by kind.', '# TYPE heartbeat_api_problems_total counter');
    for (const [kind, n] of Object.entries(s.apiProblems ?? {})) out.push(`heartbeat_api_problems_total${labels({ kind })} ${n}`);
    out.push('# HELP heartbeat_resource_groups_held Resource groups this node holds.', '# TYPE heartbeat_resource_groups_held gauge', `heartbeat_resource_groups_held ${this.held.size}`);
    for (const f of [this.sent, this.received, this.delivered, this.nodeChanges, this.linkChanges, this.restarts, this.ops, this.opSeconds, this.groupChanges, this.configDifferences]) f.render(out);
    out.push('# HELP heartbeat_config_agreement 1 for each peer\'s configuration verdict now: same, differs or unknown (it announces no digests).', '# TYPE heartbeat_config_agreement gauge');
    for (const [node, v] of this.configVerdicts) {
      for (const verdict of ['same', 'differs', 'unknown']) out.push(`heartbeat_config_agreement${labels({ node, verdict })} ${v === verdict ? 1 : 0}`);
    }
    if (s.monitors !== undefined) renderMonitors(s.monitors, out);
    const ns = (v: number): string => (Number.isFinite(v) ? (v / 1e9).toFixed(6) : '0');
    out.push(
      '# HELP heartbeat_event_loop_delay_seconds Event-loop delay since start: max and 99th percentile.',
      '# TYPE heartbeat_event_loop_delay_seconds gauge',
      `heartbeat_event_loop_delay_seconds${labels({ quantile: 'max' })} ${ns(this.loop.max)}`,
      `heartbeat_event_loop_delay_seconds${labels({ quantile: '0.99' })} ${ns(this.loop.percentile(99))}`,
    );
    return `${out.join('\n')}\n`;
  }

  close(): void {
    this.loop.disable();
  }
}

/** The service monitor's families (issue 17): one sample per monitored resource. */
function renderMonitors(list: readonly MonitorView[], out: string[]): void {
  const family = (name: string, help: string, type: 'counter' | 'gauge', value: (m: MonitorView) => number | undefined): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const m of list) {
      const v = value(m);
      if (v !== undefined) out.push(`${name}${labels({ resource: m.resource, group: m.group })} ${v}`);
    }
  };
  family('heartbeat_monitor_checks_total', 'Checks of a monitored resource that ended.', 'counter', (m) => m.checks);
  family('heartbeat_monitor_check_failures_total', 'Checks of a monitored resource that failed (timeouts included).', 'counter', (m) => m.failures);
  family('heartbeat_monitor_restarts_total', 'Restarts of a monitored resource by the monitor (it and the resources after it).', 'counter', (m) => m.restarts);
  family('heartbeat_monitor_consecutive_failures', 'Failed checks in a row now.', 'gauge', (m) => m.consecutiveFailures);
  family('heartbeat_monitor_last_check_ok', '1 when the last check succeeded, 0 when it failed (absent before the first).', 'gauge', (m) => (m.lastResult === undefined ? undefined : m.lastResult === 'ok' ? 1 : 0));
  family('heartbeat_monitor_last_check_seconds', 'How long the last check took.', 'gauge', (m) => (m.lastDurationMs === undefined ? undefined : m.lastDurationMs / 1000));
  family('heartbeat_monitor_group_failed', '1 when the resource\'s group is marked failed on this node (until hbctl cleanup).', 'gauge', (m) => (m.failed ? 1 : 0));
}

/** `--metrics ADDR:PORT`: loopback only (127.0.0.0/8 or ::1), a port 1–65535. */
export function parseMetricsAddress(text: string): { host: string; port: number } | { error: string } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (m === null || host === undefined || !(port >= 1 && port <= 65535)) return { error: `--metrics wants ADDRESS:PORT (e.g. 127.0.0.1:9694), not "${text}"` };
  if (!(host === '::1' || host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))) {
    return { error: `--metrics ${text}: the endpoint listens on loopback only (127.0.0.1 or ::1); put a proxy in front to expose it` };
  }
  return { host, port };
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics; anything else gets 404. Resolves once listening; rejects with a clear message. node:http
 * is loaded here, not at start-up: a node without `--metrics` never maps it (about 2.8 MB of RSS).
 */
export async function serveMetrics(host: string, port: number, render: () => string): Promise<MetricsServer> {
  const { default: http } = await import('node:http');
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('heartbeat-ts: only GET /metrics here\n');
      return;
    }
    let body: string;
    try {
      body = render();
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`heartbeat-ts: ${(e as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
  });
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  server.maxConnections = 16;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`cannot open the metrics endpoint ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`)));
    server.listen(port, host, () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a !== null ? a.port : port,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

/** The present state for the metrics endpoint, from the membership core: nodes, links, last-heard ages, drop counts. */
export function membershipSnapshot(core: Membership, localNode: string, nowMs: number): MetricsSnapshot {
  const heard = core.lastHeard();
  const [self, ...peers] = core.nodes();
  return {
    localNode: self?.name ?? localNode,
    localStatus: self?.status ?? 'init',
    nodes: peers.map((n) => {
      const h = heard.get(n.name);
      const last = Math.max(h?.statusMs ?? Number.NEGATIVE_INFINITY, ...(h?.links.values() ?? []));
      return {
        name: n.name,
        type: n.type,
        status: n.status,
        lastHeardAgeMs: Number.isFinite(last) ? Math.max(0, nowMs - last) : undefined,
        links: [...n.links].map(([medium, status]) => ({ medium, status })),
      };
    }),
    drops: core.dropCounts(),
  };
}
