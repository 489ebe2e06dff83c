#!/usr/bin/env node
// `ipfail`: heartbeat-ts's ipfail, an API client named `ipfail` driving src/ipfail/core.ts (Heartbeat 3.0.6's decisions).
/*
 * Started by the daemon (`respawn hacluster /usr/lib/heartbeat/ipfail`: see client-children.ts), as the real one
 * is: signs on as `ipfail`, asks getrsc (fails → "No managed resources", exit 100), auto_failback (legacy →
 * exit 100), sets the filter to KEEPIT, walks the node list for the other normal node, sets signal 0, then turns
 * every delivered message into a core event. Before each event it reads a fresh node list and getrsc (the
 * original counts ping nodes and checks stability the same way at each decision). Logs go where Heartbeat's
 * children log: HA_logfile / HA_debugfile from the daemon's environment, as `ipfail: [pid]: info: …`.
 *
 * Options: --classic   the original's timing (2 × keepalive before every give-up, 10 s before a re-count);
 *          --socket P  the API socket (default <run-dir>/register; also HBTS_API_SOCKET);
 *          --run-dir D the daemon's run directory (default /var/run/heartbeat).
 * The probe (quick mode) runs iputils `ping -c 1` per ping node; Debian's ping has cap_net_raw, so it works as
 * hacluster. If it cannot run, the other node simply keeps the original's delay.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { HeartbeatClient, HeartbeatClientError, type HeartbeatEvent } from '../api/client.js';
import { KEEPIT } from '../api/protocol.js';
import { Logger } from '../logging/logger.js';
import { F_PROBED, IpfailCore, type IpfailAction, type IpfailEvent, type ResourceHold, type Snapshot, type TimerName } from '../ipfail/core.js';
import type { LogLevel } from '../core/log-level.js';
import { getString } from '../wire/message.js';

/** The probe's wait for each echo reply. */
const PROBE_TIMEOUT_MS = 1000;
const HOLDS: readonly ResourceHold[] = ['none', 'local', 'foreign', 'all', 'transition'];

/** cluster-glue cl_str_to_boolean. */
function toBoolean(s: string): boolean | undefined {
  const v = s.toLowerCase();
  if (['true', 'on', 'yes', 'y', '1'].includes(v)) return true;
  if (['false', 'off', 'no', 'n', '0'].includes(v)) return false;
  return undefined;
}

interface Options {
  readonly classic: boolean;
  readonly socketPath: string | undefined;
  readonly runDir: string | undefined;
}

function parseArgs(argv: readonly string[]): Options | string {
  let classic = false;
  let socketPath = process.env['HBTS_API_SOCKET'];
  let runDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--classic') classic = true;
    else if (a === '--socket' || a === '--run-dir') {
      const v = argv[++i];
      if (v === undefined) return `${a} needs a value`;
      if (a === '--socket') socketPath = v;
      else runDir = v;
    } else return `unknown argument ${a ?? ''}`;
  }
  return { classic, socketPath, runDir };
}

/** One ICMP echo to each host at once; the hosts that answered (undefined: ping cannot run here). */
function probe(hosts: readonly string[]): Promise<string[] | undefined> {
  const one = (host: string): Promise<boolean | undefined> =>
    new Promise((resolve) => {
      const child = spawn('ping', ['-n', '-q', '-c', '1', '-W', String(Math.ceil(PROBE_TIMEOUT_MS / 1000)), host], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS + 500);
      child.on('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
  return Promise.all(hosts.map(one)).then((r) => (r.some((x) => x === undefined) ? undefined : hosts.filter((_, i) => r[i] === true)));
}

/** A delivered message as the core's event (undefined: ipfail has no callback for it). */
function toCoreEvent(e: HeartbeatEvent): IpfailEvent | undefined {
  switch (e.kind) {
    case 'node-status':
      return { kind: 'node-status', node: e.node, status: e.status };
    case 'link-status':
      return { kind: 'link-status', node: e.node, link: e.link, status: e.status };
    case 'client-status':
      return getString(e.message, 't') === 'hbapi-clstat' ? { kind: 'client-status', node: e.node ?? '', clientId: e.clientId, status: e.status } : undefined;
    case 'message': {
      const m = e.message;
      switch (e.type) {
        case 'resource':
          return { kind: 'resource', from: getString(m, 'src'), isstable: getString(m, 'isstable'), info: getString(m, 'info') };
        case 'num_ping_nodes':
          return { kind: 'num-ping', numPing: getString(m, 'num_ping') };
        case 'you_are_dead':
          return { kind: 'you-are-dead', probed: getString(m, F_PROBED) };
        case 'abort_giveup':
          return { kind: 'abort-giveup' };
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

async function main(): Promise<number> {
  const entity = 'ipfail';
  const env = process.env;
  const logFile = env['HA_logfile'] ?? env['HA_LOGFILE'];
  const debugFile = env['HA_debugfile'] ?? env['HA_DEBUGLOG'];
  const debugLevel = Number(env['HA_debug'] ?? '0') || 0;
  // heartbeat 3.0.6 ipfail: stderr too until it starts waiting for messages (under respawn stderr is /dev/null).
  const targets = { logFile: logFile || undefined, debugFile: debugFile || undefined, debugLevel, stderr: true };
  let logger = new Logger(targets, os.hostname(), entity);
  const log = (level: LogLevel, text: string): void => logger.log(level, text);
  const quit = async (code: number): Promise<number> => {
    await logger.close();
    return code;
  };

  const opts = parseArgs(process.argv.slice(2));
  if (typeof opts === 'string') {
    process.stderr.write(`ipfail: ${opts}\nusage: ipfail [--classic] [--socket PATH | --run-dir DIR]\n`);
    return quit(2);
  }
  log('debug', `PID=${process.pid}`);
  log('debug', 'Signing in with heartbeat');
  let hb: HeartbeatClient;
  try {
    hb = await HeartbeatClient.connect({ clientId: 'ipfail', ...(opts.socketPath !== undefined ? { socketPath: opts.socketPath } : {}), ...(opts.runDir !== undefined ? { runDir: opts.runDir } : {}) });
  } catch (e) {
    log('err', 'Cannot sign on with heartbeat');
    log('err', `REASON: ${(e as Error).message}`);
    return quit(1);
  }
  let hold: string;
  try {
    hold = await hb.resourceState();
  } catch {
    log('err', 'No managed resources');
    hb.close();
    return quit(100);
  }
  const me = hb.signonInfo.localNode;
  log('debug', `[We are ${me}]`);
  let autoFailback = false;
  const af = await hb.parameter('auto_failback');
  if (af === undefined) log('err', "Couldn't get auto_failback setting.");
  else if (af === 'legacy') {
    log('err', 'auto_failback set to incompatible legacy option.');
    hb.close();
    return quit(100);
  } else {
    const b = toBoolean(af);
    if (b === undefined) {
      log('err', ` invalid auto_faiback value(${af})`);
      hb.close();
      return quit(100);
    }
    autoFailback = b;
    log('debug', `auto_failback -> ${b ? 1 : 0} (${af})`);
  }
  log('debug', 'Setting message filter mode');
  await hb.setFilter(KEEPIT);
  log('debug', 'Starting node walk');
  let otherNode: string | undefined;
  for (const n of await hb.nodes()) {
    log('debug', `Cluster node: ${n.name}: status: ${n.status ?? ''}`);
    if (n.type === 'normal' && n.name !== me) {
      otherNode = n.name;
      log('debug', `[They are ${otherNode}]`);
    }
  }
  log('debug', 'Setting message signal');
  await hb.setSignal(0);
  log('debug', `Waiting for messages... (${opts.classic ? "the original's timing" : 'quick'}; rsc_hold ${hold})`);
  await logger.close();
  logger = new Logger({ ...targets, stderr: false }, os.hostname(), entity);

  const core = new IpfailCore({ localNode: me, otherNode, autoFailback, keepaliveMs: hb.signonInfo.keepaliveMs, quick: !opts.classic });
  const timers = new Map<TimerName, NodeJS.Timeout>();
  const queue: IpfailEvent[] = [];
  let busy = false;
  let stopping = false;

  const snapshot = async (): Promise<Snapshot> => {
    const [nodes, rsc] = await Promise.all([hb.nodes(), hb.resourceState().catch(() => 'transition')]);
    return { up: nodes.filter((n) => n.status === 'ping').map((n) => n.name), hold: HOLDS.includes(rsc as ResourceHold) ? (rsc as ResourceHold) : 'transition' };
  };

  const perform = async (a: IpfailAction): Promise<void> => {
    switch (a.kind) {
      case 'log':
        log(a.level, a.text);
        return;
      case 'send-node':
        await hb.sendNodeMessage(a.to, a.fields);
        return;
      case 'send-cluster':
        await hb.sendClusterMessage(a.fields);
        return;
      case 'set-timer': {
        clearTimeout(timers.get(a.name));
        const t = setTimeout(() => {
          timers.delete(a.name);
          enqueue({ kind: 'timer', name: a.name });
        }, a.afterMs);
        timers.set(a.name, t);
        return;
      }
      case 'cancel-timer':
        clearTimeout(timers.get(a.name));
        timers.delete(a.name);
        return;
      case 'probe':
        void probe(a.nodes).then((answered) => enqueue({ kind: 'probe-result', id: a.id, answered }));
        return;
    }
  };

  // One event at a time, in arrival order (the original's callbacks run one by one in its main loop).
  const drain = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (let e = queue.shift(); e !== undefined && !stopping; e = queue.shift()) {
        const snap = await snapshot();
        for (const a of core.handle(e, snap)) await perform(a);
      }
    } catch (e) {
      if (!stopping) log('err', `ipfail: ${(e as Error).message}`);
    } finally {
      busy = false;
    }
    if (queue.length > 0 && !stopping) void drain();
  };
  const enqueue = (e: IpfailEvent): void => {
    queue.push(e);
    void drain();
  };

  return new Promise<number>((resolve) => {
    const finish = (code: number): void => {
      stopping = true;
      for (const t of timers.values()) clearTimeout(t);
      void quit(code).then(resolve);
    };
    hb.onEvent((e) => {
      const ce = toCoreEvent(e);
      if (ce !== undefined) enqueue(ce);
    });
    hb.onClose((why: HeartbeatClientError) => {
      if (stopping) return;
      log('info', `heartbeat went away (${why.message}); exiting`);
      finish(0);
    });
    const onSignal = (): void => {
      if (stopping) return;
      stopping = true;
      void hb.signoff().catch(() => undefined).finally(() => finish(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

process.exitCode = await main();
process.exit();
