// Whether each peer runs with our configuration: its announced digests (config/config-digest.ts) against ours.
// Pure: the coordinator hands it each peer's field as it changes and logs what it returns.
//
//   peer's field            verdict    logged (once per change of verdict or of the set of differences)
//   ----------------------  ---------  ------------------------------------------------------------------
//   absent / other version  unknown    info: not compared (a real Heartbeat 3.0.6 peer announces nothing)
//   equal digests           same       info, only when it follows `differs`: now matches
//   any digest differs      differs    warn, one line per difference: which file, which group line
import { CONFIG_FIELD, configDigests, decodeConfigField, type ConfigDigests, type ConfigFacts } from '../config/config-digest.js';

export type ConfigVerdict = 'same' | 'differs' | 'unknown';
export type ConfigFile = 'haresources' | 'authkeys' | 'ha.cf';

export interface ConfigDifference {
  readonly file: ConfigFile;
  readonly text: string;
}

export interface PeerAgreement {
  readonly node: string;
  readonly verdict: ConfigVerdict;
  readonly differences: readonly ConfigDifference[];
}

export interface AgreementLog {
  readonly level: 'info' | 'warn';
  readonly text: string;
}

/** The differences between our configuration and a peer's announced digests (pure). */
export function compareConfig(local: ConfigFacts, peer: string, theirs: ConfigDigests | undefined): Omit<PeerAgreement, 'node'> {
  if (theirs === undefined) return { verdict: 'unknown', differences: [] };
  const ours = configDigests(local);
  const out: ConfigDifference[] = [];
  const peerSet = new Set(theirs.haresources);
  const ourSet = new Set(ours.haresources);
  ours.haresources.forEach((d, i) => {
    if (!peerSet.has(d)) out.push({ file: 'haresources', text: `group line ${i + 1} "${local.groupLines[i] ?? ''}" is not in ${peer}'s haresources` });
  });
  theirs.haresources.forEach((d, i) => {
    if (!ourSet.has(d)) out.push({ file: 'haresources', text: `${peer}'s group line ${i + 1} is not in our haresources` });
  });
  if (out.length === 0 && ours.haresources.join(',') !== theirs.haresources.join(',')) {
    out.push({ file: 'haresources', text: `the same group lines in another order (or repeated) on ${peer}` });
  }
  if (ours.authkeys !== theirs.authkeys) out.push({ file: 'authkeys', text: `the method in force differs on ${peer} (ours: ${local.authMethod})` });
  if (ours.timing !== theirs.timing) out.push({ file: 'ha.cf', text: `timing directives differ on ${peer} (ours: ${local.timing})` });
  return { verdict: out.length === 0 ? 'same' : 'differs', differences: out };
}

function key(a: Omit<PeerAgreement, 'node'>): string {
  return `${a.verdict}\n${a.differences.map((d) => `${d.file}:${d.text}`).join('\n')}`;
}

/** Each peer's last verdict; observe() says what to log when it changes. */
export class ConfigAgreement {
  private readonly peers = new Map<string, { field: string | undefined; agreement: Omit<PeerAgreement, 'node'> }>();

  constructor(private local: ConfigFacts) {}

  /** A peer's field as received in a status (undefined: the status had none). */
  observe(peer: string, field: string | undefined): AgreementLog[] {
    const before = this.peers.get(peer)?.agreement;
    const now = compareConfig(this.local, peer, decodeConfigField(field));
    this.peers.set(peer, { field, agreement: now });
    return before !== undefined && key(before) === key(now) ? [] : describe(peer, before, now);
  }

  /** Our own configuration changed (a reload): every peer is compared again; `changed`: whose verdict moved. */
  setLocal(local: ConfigFacts): { logs: AgreementLog[]; changed: PeerAgreement[] } {
    this.local = local;
    const logs: AgreementLog[] = [];
    const changed: PeerAgreement[] = [];
    for (const [peer, p] of [...this.peers]) {
      const now = compareConfig(local, peer, decodeConfigField(p.field));
      if (key(now) !== key(p.agreement)) {
        logs.push(...describe(peer, p.agreement, now));
        changed.push({ node: peer, ...now });
      }
      this.peers.set(peer, { field: p.field, agreement: now });
    }
    return { logs, changed };
  }

  /**
   * Every peer heard so far, by name (code-unit order: node names are host names, and localeCompare would map
   * several MB of ICU collation data into a daemon that needs none).
   */
  view(): PeerAgreement[] {
    return [...this.peers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([node, p]) => ({ node, ...p.agreement }));
  }
}

function describe(peer: string, before: Omit<PeerAgreement, 'node'> | undefined, now: Omit<PeerAgreement, 'node'>): AgreementLog[] {
  switch (now.verdict) {
    case 'unknown':
      return [{ level: 'info', text: `Configuration of node ${peer}: unknown (it announces no ${CONFIG_FIELD} digests, as the real Heartbeat does not); not compared` }];
    case 'same':
      return before?.verdict === 'differs'
        ? [{ level: 'info', text: `Configuration of node ${peer} now matches ours (haresources, authkeys method, ha.cf timing)` }]
        : [];
    case 'differs':
      return now.differences.map((d) => ({ level: 'warn', text: `Configuration of node ${peer} differs: ${d.file}: ${d.text}` }));
  }
}
