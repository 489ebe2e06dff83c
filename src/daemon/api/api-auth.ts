// `apiauth`: which API clients may sign on, decided as Heartbeat 3.0.6 decides (hb_api.c api_check_client_authorization).
/*
 * The rules come from the configuration (src/config: ha.cf `apiauth CLIENT uid=… gid=…` lines, plus
 * Heartbeat's built-in defaults for the clients the file does not name: ipfail uid=hacluster, ccm
 * uid=hacluster, ping gid=haclient, lha-snmpagent uid=root, anon uid=root gid=haclient).
 *
 *   resolve (once, when the API socket opens)            check (each signon; uid/gid already = SO_PEERCRED's)
 *   name → number as cluster-glue's ipc_str_to_auth:     casual client (cl_status) → rule `anon`,
 *     starts with a digit → atoi (leading digits),         missing → refused "apiauth anon missing"
 *     else /etc/passwd, /etc/group;                       named client → its rule, else rule `default`,
 *     one unknown name drops the WHOLE rule                missing → refused "no default client auth"
 *     (Heartbeat logs it and carries on without it)      allowed when uid ∈ uids OR gid ∈ gids,
 *                                                         else refused "client failed authorization"
 *
 * Only the effective gid counts (SO_PEERCRED has no supplementary groups), as in Heartbeat. ha.cf lines
 * naming an unknown user are refused by the configuration check before we get here; the defaults are not
 * checked there, so a host without hacluster or haclient loses those default rules here, logged.
 */
import fs from 'node:fs';
import type { ApiAuth } from '../../config/model.js';

/** A name → id table, as getpwnam/getgrnam see it: the first line with that name wins. */
export type IdTable = ReadonlyMap<string, number>;

/** /etc/passwd or /etc/group text → name → id (field 3). Lines that are not `name:x:id:…` are skipped. */
export function parseIdFile(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    const name = f[0];
    const id = f[2];
    if (name === undefined || name === '' || name.startsWith('#') || id === undefined || !/^\d{1,10}$/.test(id)) continue;
    if (!out.has(name)) out.set(name, Number(id));
  }
  return out;
}

export interface ApiAuthRule {
  readonly client: string;
  readonly uids: ReadonlySet<number>;
  readonly gids: ReadonlySet<number>;
  /** As written, for log lines: "uid=hacluster(102) gid=haclient(105)". */
  readonly text: string;
}

export interface ApiAuthPolicy {
  readonly rules: ReadonlyMap<string, ApiAuthRule>;
  /** Rules dropped because a name in them does not resolve (one line each, for the log). */
  readonly problems: readonly string[];
}

/** cluster-glue unametonum/gnametonum: a leading digit means a number (C atoi); names are looked up; ≥ 64 bytes fail. */
function toId(token: string, table: IdTable): number | undefined {
  if (/^\d/.test(token)) {
    const digits = /^\d+/.exec(token)?.[0] ?? '0';
    const n = Number(digits);
    return n > 2 ** 31 - 1 ? undefined : n;
  }
  if (Buffer.byteLength(token, 'latin1') >= 64) return undefined;
  return table.get(token);
}

/** Turns the configured rules into numeric ones. */
export function resolveApiAuth(auth: readonly ApiAuth[], users: IdTable, groups: IdTable, files = { passwd: '/etc/passwd', group: '/etc/group' }): ApiAuthPolicy {
  const rules = new Map<string, ApiAuthRule>();
  const problems: string[] = [];
  for (const a of auth) {
    const uids = new Set<number>();
    const gids = new Set<number>();
    const shown: string[] = [];
    const bad: string[] = [];
    for (const [kind, list, table, ids, file] of [
      ['uid', a.uids, users, uids, files.passwd],
      ['gid', a.gids, groups, gids, files.group],
    ] as const) {
      if (list.length === 0) continue;
      const parts: string[] = [];
      for (const name of list) {
        const id = toId(name, table);
        if (id === undefined) bad.push(`${kind === 'uid' ? 'user' : 'group'} "${name}" is not in ${file}`);
        else {
          ids.add(id);
          parts.push(/^\d/.test(name) ? String(id) : `${name}(${id})`);
        }
      }
      shown.push(`${kind}=${parts.join(',')}`);
    }
    if (bad.length > 0) {
      problems.push(`apiauth ${a.client}: ${bad.join('; ')}: the rule is dropped, as Heartbeat drops it (${a.client === 'anon' ? 'casual clients such as cl_status are refused: "apiauth anon missing"' : `client ${a.client} falls back to the "default" rule, refused if there is none`})`);
      continue;
    }
    rules.set(a.client, { client: a.client, uids, gids, text: shown.join(' ') });
  }
  return { rules, problems };
}

/** What apiauth needs to know of a client at signon. */
export interface ApiAuthClient {
  readonly clientId: string;
  readonly casual: boolean;
  readonly uid: number;
  readonly gid: number;
}

export type ApiAuthVerdict =
  | { readonly allowed: true; readonly rule: ApiAuthRule }
  /** `reason` is Heartbeat's removereason (the reply's `info`); `detail` says why, for the log. */
  | { readonly allowed: false; readonly reason: string; readonly detail: string };

/** api_check_client_authorization, minus the pid check (the handler does it against SO_PEERCRED). */
export function checkApiAuth(policy: ApiAuthPolicy, client: ApiAuthClient): ApiAuthVerdict {
  const who = `client [${client.clientId}] (uid ${client.uid} gid ${client.gid})`;
  let rule: ApiAuthRule | undefined;
  if (client.casual) {
    rule = policy.rules.get('anon');
    if (rule === undefined) return { allowed: false, reason: 'apiauth anon missing', detail: `apiauth: casual ${who} refused: no usable "apiauth anon" rule` };
  } else {
    rule = policy.rules.get(client.clientId) ?? policy.rules.get('default');
    if (rule === undefined) return { allowed: false, reason: 'no default client auth', detail: `apiauth: ${who} refused: no apiauth rule for ${client.clientId} and no "apiauth default" rule` };
  }
  if (rule.uids.has(client.uid) || rule.gids.has(client.gid)) return { allowed: true, rule };
  return { allowed: false, reason: 'client failed authorization', detail: `apiauth: ${who} refused: rule ${rule.client} allows ${rule.text}` };
}

export interface LoadApiAuthOptions {
  readonly passwd?: string;
  readonly group?: string;
}

/** Reads /etc/passwd and /etc/group (the edge) and resolves the rules; an unreadable file is a problem for every name. */
export function loadApiAuth(auth: readonly ApiAuth[], o: LoadApiAuthOptions = {}): ApiAuthPolicy {
  const files = { passwd: o.passwd ?? '/etc/passwd', group: o.group ?? '/etc/group' };
  const problems: string[] = [];
  const read = (file: string): Map<string, number> => {
    try {
      return parseIdFile(fs.readFileSync(file, 'latin1'));
    } catch (e) {
      problems.push(`cannot read ${file}: ${(e as Error).message}; only numeric ids in apiauth rules can be used`);
      return new Map();
    }
  };
  const policy = resolveApiAuth(auth, read(files.passwd), read(files.group), files);
  return { rules: policy.rules, problems: [...problems, ...policy.problems] };
}
