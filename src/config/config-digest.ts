// Digests of the configuration both nodes must share (haresources, the authkeys method, ha.cf's timing), as one
// status-message field: each node announces its own, and a peer compares (node/config-agreement.ts).
//
// Field (heartbeat-ts only; the real Heartbeat 3.0.6 reads only the status fields it knows — t, st, dt, protocol
// and the control fields — and ignores the rest, checked against it in test/netns/config-agreement.test.ts):
//
//   hbts_config=1;h=<d1>,<d2>,…;a=<d>;t=<d>
//
//   1   the field's version (a different one is read as "unknown", never as "differs")
//   h   one digest per haresources group line, in file order: the line as parsed (owner, then each resource
//       spec, single spaces), so comments, continuations and spacing do not count
//   a   the authkeys method in force: "auth N" and its method name — never the key
//   t   keepalive, deadtime, warntime, initdead (ms)
//   each digest: the first 8 hex digits of SHA-256 (a mismatch detector, not a secret)
import { createHash } from 'node:crypto';
import type { ClusterConfig } from './model.js';

export const CONFIG_FIELD = 'hbts_config';
const VERSION = '1';

export interface ConfigDigests {
  /** One per haresources group line, in file order. */
  readonly haresources: readonly string[];
  readonly authkeys: string;
  readonly timing: string;
}

/** The parts of the configuration whose digests are announced, as text (also for log lines). */
export interface ConfigFacts {
  /** The group lines as parsed: `alpha IPaddr2::198.51.100.100/24/eth0 httpd`. */
  readonly groupLines: readonly string[];
  /** `auth 1 sha1` (no key). */
  readonly authMethod: string;
  /** `keepalive=200 deadtime=1000 warntime=500 initdead=2000` (ms). */
  readonly timing: string;
}

export function configFacts(c: Pick<ClusterConfig, 'resourceGroups' | 'authKeys' | 'keepaliveMs' | 'deadtimeMs' | 'warntimeMs' | 'initdeadMs'>): ConfigFacts {
  const active = c.authKeys.keys.get(c.authKeys.activeIndex);
  return {
    groupLines: c.resourceGroups.map((g) => [g.node, ...g.resources.map((r) => r.spec)].join(' ')),
    authMethod: `auth ${c.authKeys.activeIndex} ${active?.method ?? 'none'}`,
    timing: `keepalive=${c.keepaliveMs} deadtime=${c.deadtimeMs} warntime=${c.warntimeMs} initdead=${c.initdeadMs}`,
  };
}

export function digestOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
}

export function configDigests(f: ConfigFacts): ConfigDigests {
  return { haresources: f.groupLines.map(digestOf), authkeys: digestOf(f.authMethod), timing: digestOf(f.timing) };
}

export function encodeConfigField(d: ConfigDigests): string {
  return `${VERSION};h=${d.haresources.join(',')};a=${d.authkeys};t=${d.timing}`;
}

/** The peer's field; undefined when absent, of another version, or malformed (all three: "unknown"). */
export function decodeConfigField(text: string | undefined): ConfigDigests | undefined {
  if (text === undefined) return undefined;
  const m = /^1;h=((?:[0-9a-f]{8}(?:,[0-9a-f]{8})*)?);a=([0-9a-f]{8});t=([0-9a-f]{8})$/.exec(text);
  if (m === null) return undefined;
  return { haresources: m[1] === '' || m[1] === undefined ? [] : m[1].split(','), authkeys: m[2] ?? '', timing: m[3] ?? '' };
}
