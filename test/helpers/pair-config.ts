// Config files for a two-node heartbeat-ts pair in a lab: short timers, sha1, the medium lines as parameters.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from './netns.js';
import { LOG_FILE, authkeysText } from './real-heartbeat.js';

export interface PairConfig {
  /** Node names in ha.cf order. Default alpha, bravo. */
  readonly nodes?: readonly string[];
  /**
   * Lines that must precede the media (e.g. `baud 19200` before `serial`, `deadping 2`); written after
   * `udpport 694`, which itself precedes every medium (plugins read it when the first medium loads).
   */
  readonly before?: readonly string[];
  /** Media lines, verbatim: `bcast eth0`, `ucast eth0 198.51.100.12`, `serial /tmp/x/ttyA`, `ping 198.51.100.1`… */
  readonly media: readonly string[];
  /** sha1 key. */
  readonly key?: string;
  /** ha.cf `initdead` (default 2). */
  readonly initdead?: string;
}

export const PAIR_KEY = 'Pair-Key_sha1';

/**
 * ha.cf: keepalive 200ms, warntime 500ms, deadtime 1, initdead 2 (unless given), udpport 694, everything logged to
 * /var/log/ha-log only (`logfacility none`), `crm off`, `auto_failback on`.
 */
export function pairHaCf(c: PairConfig): string {
  return [
    'logfacility none',
    `logfile ${LOG_FILE}`,
    'keepalive 200ms',
    'warntime 500ms',
    'deadtime 1',
    `initdead ${c.initdead ?? '2'}`,
    'udpport 694',
    ...(c.before ?? []),
    ...c.media,
    'auto_failback on',
    'crm off',
    ...(c.nodes ?? ['alpha', 'bravo']).map((n) => `node ${n}`),
    '',
  ].join('\n');
}

/** Writes ha.cf, authkeys (sha1, mode 0600) and an empty haresources into the node's private /etc/ha.d. */
export function writePairConfig(lab: Lab, node: string, c: PairConfig): void {
  const dir = lab.node(node).haDir;
  fs.writeFileSync(path.join(dir, 'ha.cf'), pairHaCf(c));
  const keys = path.join(dir, 'authkeys');
  fs.writeFileSync(keys, authkeysText('sha1', c.key ?? PAIR_KEY), { mode: 0o600 });
  fs.chmodSync(keys, 0o600); // writeFileSync keeps the mode of an existing (seeded) file
  fs.writeFileSync(path.join(dir, 'haresources'), '');
}
