// The service monitor (issue 17) as the coordinator drives it: what the resource protocol holds, as group keys,
// and the monitor's actions turned into the coordinator's work (effects, a standby request, a send, a log line).
import { assertNever } from '../core/assert-never.js';
import type { LogLevel } from '../core/log-level.js';
import type { HoldSet } from '../resources/hold-set.js';
import { mirror, parseHoldSet } from '../resources/hold-set.js';
import type { Monitor, MonitorAction } from '../resources/monitor.js';
import type { RcField, RcLocalState } from '../resources/rc-notify.js';

/** The coordinator's effects the monitor asks for (a part of coordinator.ts Effect, spelled out: no import cycle). */
export type MonitorEffect =
  | { readonly kind: 'monitor-check'; readonly resource: string; readonly id: number; readonly argv: readonly string[] | undefined; readonly timeoutMs: number }
  | { readonly kind: 'monitor-restart'; readonly group: string; readonly resources: readonly string[]; readonly from: number }
  | { readonly kind: 'write-monitor-failed'; readonly failed: readonly string[] }
  | { readonly kind: 'rc-notify'; readonly source: 'local-notice'; readonly fields: readonly RcField[]; readonly local: RcLocalState }
  | { readonly kind: 'defer'; readonly event: { readonly kind: 'monitor'; readonly event: { readonly kind: 'restart-done'; readonly group: string; readonly ok: boolean } } };

export type MonitorWork =
  | { readonly kind: 'log'; readonly level: LogLevel; readonly text: string }
  | { readonly kind: 'effect'; readonly effect: MonitorEffect }
  /** hb_standby of this set (our view). */
  | { readonly kind: 'standby'; readonly set: 'local' | 'foreign' }
  /** A message for the cluster. */
  | { readonly kind: 'send'; readonly fields: readonly (readonly [string, string])[] };

/** The groups held now, by key, from the protocol's answer (a set, or keys in legacy mode); none while shutting down. */
export function heldGroups(
  h: { readonly stable: boolean; readonly held: HoldSet | readonly string[] } | undefined,
  groups: readonly { readonly key: string; readonly set: 'local' | 'foreign' }[],
  shuttingDown: boolean,
): { readonly held: ReadonlySet<string>; readonly stable: boolean } {
  if (h === undefined || shuttingDown) return { held: new Set(), stable: false };
  if (typeof h.held !== 'string') return { held: new Set(h.held), stable: h.stable };
  const set = h.held;
  return { held: new Set(groups.filter((g) => set === 'all' || set === g.set).map((g) => g.key)), stable: h.stable };
}

/** `runner`: scripts really run (else a restart ends at once, on the next turn). */
export function monitorWork(actions: readonly MonitorAction[], runner: boolean, rcLocal: () => RcLocalState): MonitorWork[] {
  const out: MonitorWork[] = [];
  const effect = (e: MonitorEffect): void => void out.push({ kind: 'effect', effect: e });
  for (const a of actions) {
    switch (a.kind) {
      case 'log':
        out.push({ kind: 'log', level: a.level, text: `monitor: ${a.text}` });
        break;
      case 'check':
        effect({ kind: 'monitor-check', resource: a.resource, id: a.id, argv: a.argv, timeoutMs: a.timeoutMs });
        break;
      case 'restart':
        if (runner) effect({ kind: 'monitor-restart', group: a.group, resources: a.resources, from: a.from });
        else effect({ kind: 'defer', event: { kind: 'monitor', event: { kind: 'restart-done', group: a.group, ok: true } } });
        break;
      case 'standby':
        out.push({ kind: 'standby', set: a.set });
        break;
      case 'failback':
        // What hb_takeover local sends: the peer (ours, or Heartbeat's rc.d/hb_takeover) hands our groups back.
        out.push({ kind: 'send', fields: [['t', 'hb_takeover'], ['rsc_hold', 'local']] });
        break;
      case 'persist':
        effect({ kind: 'write-monitor-failed', failed: a.failed });
        break;
      case 'notify':
        effect({ kind: 'rc-notify', source: 'local-notice', fields: [['t', 'hbts-monitor'], ['event', a.event], ['rsc', a.resource], ['group', a.group]], local: rcLocal() });
        break;
      default:
        assertNever(a, 'monitor action');
    }
  }
  return out;
}

/**
 * A standby offer from the peer (`ask_resources info=me`) that would bring back a group marked failed here: its
 * key (the offer is refused: the peer keeps the group, or keeps restarting it); else undefined.
 */
export function refusedOffer(monitor: Monitor | undefined, fields: ReadonlyMap<string, string>): string | undefined {
  if (monitor === undefined || fields.get('t') !== 'ask_resources' || fields.get('info') !== 'me') return undefined;
  const offered = parseHoldSet(fields.get('rsc_hold'));
  return offered === undefined ? undefined : monitor.refusesSet(mirror(offered));
}
