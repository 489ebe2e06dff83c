// A fixed ApiView for API tests: the situation described as plain JSON-able data.
import type { ApiExtendedStatus, ApiNode, ApiSignonInfo, ApiView } from '../../src/api/view.js';
import type { NodeType } from '../../src/api/protocol.js';

export interface FakeNode {
  readonly name: string;
  readonly type: NodeType;
  readonly status: string;
  readonly links: readonly (readonly [string, string])[];
  readonly weight?: number;
  readonly site?: string;
  /** 32 hex digits. */
  readonly uuid?: string;
}

export interface FakeSituation {
  readonly localNode: string;
  readonly signon: ApiSignonInfo;
  /** ha.cf order. */
  readonly nodes: readonly FakeNode[];
  readonly parameters: Readonly<Record<string, string>>;
  /** null: resources not managed (crm). */
  readonly resourceState: string | null;
  /** heartbeat-ts's `hbts-status` answer; absent: refused, as the real Heartbeat does. */
  readonly extended?: ApiExtendedStatus;
}

export function fakeView(s: FakeSituation): ApiView {
  const nodes: ApiNode[] = s.nodes.map((n) => ({
    name: n.name,
    type: n.type,
    status: n.status,
    weight: n.weight ?? 100,
    site: n.site ?? '',
    links: n.links.map(([name, status]) => ({ name, status })),
    ...(n.uuid !== undefined ? { uuid: Uint8Array.from(Buffer.from(n.uuid, 'hex')) } : {}),
  }));
  return {
    localNode: s.localNode,
    signonInfo: () => s.signon,
    nodes: () => nodes,
    parameter: (name) => (Object.prototype.hasOwnProperty.call(s.parameters, name) ? s.parameters[name] : undefined),
    resourceState: () => s.resourceState ?? undefined,
    ...(s.extended !== undefined ? { extendedStatus: (): ApiExtendedStatus => s.extended as ApiExtendedStatus } : {}),
  };
}

/** The version string the recorded Debian 3.0.6 build reports at signon. */
export const REAL_HBVERSION = '3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)';

/**
 * The situation of the recordings in test/fixtures/api: node alpha (this node, active, eth0 up), bravo
 * (declared in ha.cf, never started: dead, eth0 dead), ping node 198.51.100.1 (ping, its link up); ha.cf
 * declares the ping node first, then alpha, bravo; keepalive 200ms, deadtime 1, initdead 2, auto_failback on.
 * The parameter values are what the real daemon answered to `cl_status hbparameter -p NAME`.
 */
export const RECORDED_SITUATION: FakeSituation = {
  localNode: 'alpha',
  signon: { deadtimeMs: 1000, keepaliveMs: 200, logFacility: 0, hbversion: REAL_HBVERSION, pacemaker: 'off' },
  nodes: [
    { name: '198.51.100.1', type: 'ping', status: 'ping', links: [['198.51.100.1', 'up']] },
    { name: 'alpha', type: 'normal', status: 'active', links: [['eth0', 'up']] },
    { name: 'bravo', type: 'normal', status: 'dead', links: [['eth0', 'dead']] },
  ],
  parameters: {
    deadtime: '1',
    keepalive: '200ms',
    warntime: '500ms',
    initdead: '2',
    deadping: '1000ms',
    pacemaker: 'off',
    auto_failback: 'on',
    udpport: '694',
    logfacility: 'none',
    logfile: '/var/log/ha-log',
    debug: '0',
    cluster: 'linux-ha',
    msgfmt: 'classic',
    hopfudge: '1',
    baud: '19200',
  },
  resourceState: 'all',
};
