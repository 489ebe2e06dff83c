// /etc/ha.d/authkeys, read as Heartbeat 3.0.6 reads it (heartbeat/auth.c: parse_authfile).
import type { Diagnostic } from '../core/diagnostic.js';
import type { AuthKey, AuthKeys, AuthMethodName } from '../core/auth-keys.js';
import { DiagnosticSink, q } from './diag.js';
import { readLines, spanOf, WHITESPACE } from './source-lines.js';

export const MAXAUTH = 16;
const METHODS: readonly AuthMethodName[] = ['crc', 'md5', 'sha1'];

export interface AuthkeysResult {
  readonly keys: AuthKeys | undefined;
  readonly diagnostics: Diagnostic[];
}

/** sscanf("%d"): blanks, optional sign, digits. Returns the number and where it stopped, or undefined. */
function scanInt(s: string, from: number): { value: number; end: number } | undefined {
  const m = /^[ \t\n\r\f\v]*([+-]?\d+)/.exec(s.slice(from));
  if (m === null) return undefined;
  return { value: Number(m[1]), end: from + m[0].length };
}

/** sscanf("%s"): blanks, then a run of non-blanks. */
function scanWord(s: string, from: number): { value: string; at: number; end: number } | undefined {
  const at = spanOf(s, from, WHITESPACE + '\v');
  let end = at;
  while (end < s.length && !(WHITESPACE + '\v').includes(s[end] as string)) end++;
  return end > at ? { value: s.slice(at, end), at, end } : undefined;
}

/**
 * Parses authkeys text. `mode` is the file's permission bits (undefined: not checked, e.g. a key file given to
 * `hbctl`). The rules are Heartbeat's: `auth N` selects the signing key and must come before its method line;
 * `N method [key]`, N in 0..15; the key is one token and anything after it is ignored; crc takes no key,
 * md5 and sha1 need one; the file must not be readable by group or others (write bits are not checked).
 */
export function parseAuthkeys(text: string, file: string, mode: number | undefined): AuthkeysResult {
  const d = new DiagnosticSink(file);
  if (mode !== undefined && (mode & 0o044) !== 0) {
    d.error(0, 0, 'HA_AUTH_PERMISSIONS',
      `mode ${(mode & 0o777).toString(8).padStart(4, '0')} lets group or others read the keys; ` +
        `run "chmod 600 ${file}" (Heartbeat refuses to start: "Bad permissions on keyfile")`);
  }
  let authnum = -1;
  let authLine = 0;
  let selected: AuthKey | undefined;
  const keys = new Map<number, AuthKey>();
  /** Key lines refused above, by index: "key not found" then points at them instead of saying it is missing. */
  const refused = new Map<number, number>();
  for (const piece of readLines(text)) {
    const s = piece.text;
    const bp = spanOf(s, 0, WHITESPACE);
    if (bp >= s.length || s[bp] === '#') continue;
    const col = piece.offset + bp + 1;
    if (s[bp] === 'a') {
      // sscanf(bp, "auth %d"): the literal, any blanks, a number; the rest of the line is ignored.
      const n = s.startsWith('auth', bp) ? scanInt(s, bp + 4) : undefined;
      if (n === undefined) {
        d.error(piece.line, col, 'HA_AUTH_BAD_AUTH_LINE', `${q(s.slice(bp).trim())} is not "auth N" with N a key index (0..15)`);
        continue;
      }
      authnum = n.value;
      authLine = piece.line;
      if (s.slice(n.end).trim() !== '') {
        d.warn(piece.line, piece.offset + n.end + 1, 'HA_AUTH_IGNORED_TEXT',
          `text after "auth ${n.value}" is ignored (Heartbeat reads only the number): ${q(s.slice(n.end).trim())}`);
      }
      continue;
    }
    const idx = scanInt(s, bp);
    const method = idx === undefined ? undefined : scanWord(s, idx.end);
    if (idx === undefined || method === undefined) {
      d.error(piece.line, col, 'HA_AUTH_BAD_LINE',
        `${q(s.slice(bp).trim())} is neither "auth N" nor "N method [key]" (e.g. "1 sha1 SomeSecret")`);
      continue;
    }
    const key = scanWord(s, method.end);
    if (idx.value < 0 || idx.value >= MAXAUTH) {
      d.error(piece.line, col, 'HA_AUTH_BAD_INDEX', `key index ${idx.value} is out of range: use 0..15`);
      continue;
    }
    refused.set(idx.value, piece.line);
    if (!(METHODS as readonly string[]).includes(method.value)) {
      const hint = (METHODS as readonly string[]).includes(method.value.toLowerCase())
        ? ` (method names are case-sensitive: write "${method.value.toLowerCase()}")` : '';
      d.error(piece.line, piece.offset + method.at + 1, 'HA_AUTH_UNKNOWN_METHOD',
        `unknown method ${q(method.value)}: use sha1, md5 or crc${hint}`);
      continue;
    }
    const m = method.value as AuthMethodName;
    if (m === 'crc' && key !== undefined) {
      d.error(piece.line, piece.offset + key.at + 1, 'HA_AUTH_KEY_NOT_ALLOWED',
        `method crc takes no key, but ${q(key.value)} follows it (Heartbeat: "Auth method [crc] doesn't use a key")`);
      continue;
    }
    if (m !== 'crc' && key === undefined) {
      d.error(piece.line, piece.offset + method.end + 1, 'HA_AUTH_KEY_REQUIRED', `method ${m} requires a key: "${idx.value} ${m} <secret>"`);
      continue;
    }
    if (key !== undefined && s.slice(key.end).trim() !== '') {
      d.warn(piece.line, piece.offset + key.end + 1, 'HA_AUTH_IGNORED_TEXT',
        `only the first word after the method is the key; ${q(s.slice(key.end).trim())} is ignored, as Heartbeat ignores it`);
    }
    refused.delete(idx.value);
    const entry: AuthKey = { index: idx.value, method: m, key: key?.value ?? '' };
    keys.set(idx.value, entry);
    // heartbeat 3.0.6 binds the signing method only when its line comes after "auth N".
    if (idx.value === authnum) selected = entry;
  }
  if (selected === undefined) {
    if (authnum < 0) {
      d.error(0, 0, 'HA_AUTH_NO_AUTH_LINE', 'no "auth N" line: add one before the key lines, e.g. "auth 1" then "1 sha1 <secret>"');
    } else {
      const later = keys.get(authnum);
      const bad = refused.get(authnum);
      d.error(authLine, 1, 'HA_AUTH_KEY_NOT_FOUND', bad !== undefined
        ? `"auth ${authnum}" selects key ${authnum}, whose line (line ${bad}) has an error`
        : later === undefined
        ? `"auth ${authnum}" selects key ${authnum}, but there is no line "${authnum} <method> <key>"`
        : `"auth ${authnum}" must come before the line of key ${authnum}: Heartbeat reads the file top to bottom and does not find it`);
    }
  } else if (selected.method === 'crc') {
    d.warn(authLine, 1, 'HA_AUTH_WEAK', 'crc is a checksum, not a signature: anyone who can reach the cluster network can forge messages; use sha1 with a secret key');
  }
  if (d.list.some((x) => x.severity === 'error') || selected === undefined) return { keys: undefined, diagnostics: d.list };
  return { keys: { activeIndex: selected.index, keys }, diagnostics: d.list };
}
