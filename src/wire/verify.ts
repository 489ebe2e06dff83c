// Signature checks for both forms: cheap checks first, digests compared in constant time, a verdict not an exception.
import { Buffer } from 'node:buffer';
import type { AuthKeys } from '../core/auth-keys.js';
import { AUTH_FIELD, renderForAuth } from './classic.js';
import { digestHex } from './digest.js';
import { FT_STRING, getField, type Message } from './message.js';
import type { NetstringPacket } from './netstring.js';

/**
 * - ok: the digest matches.
 * - no-signature: no `auth` field (classic) / no trailer (netstring).
 * - malformed: the auth text is not `<index> <digest>`.
 * - unknown-key: no `N method key` line for that index.
 * - bad-digest: the digest does not match (tampered, or a different key).
 */
export type Verdict = 'ok' | 'no-signature' | 'malformed' | 'unknown-key' | 'bad-digest';

export const VERDICTS: readonly Verdict[] = ['ok', 'no-signature', 'malformed', 'unknown-key', 'bad-digest'];

/**
 * Parses `<index> <digest>` (sscanf "%d %s" in is_auth_netstring / isauthentic), strictly: a decimal index
 * 0..15, exactly one space, a non-empty lower-case hex token. Heartbeat would also get a mismatch for any
 * other shape, because it compares the token with strcmp against our canonical output.
 */
export function parseAuthText(b: Uint8Array): { index: number; digest: Buffer } | null {
  const n = b.length;
  if (n < 3 || n > 2 + 1 + 128) return null;
  let i = 0;
  let index = 0;
  while (i < n && i < 2 && (b[i] as number) >= 0x30 && (b[i] as number) <= 0x39) index = index * 10 + (b[i++] as number) - 0x30;
  if (i === 0 || (i === 2 && b[0] === 0x30) || b[i] !== 0x20 || index > 15) return null;
  const start = i + 1;
  if (start >= n) return null;
  for (let k = start; k < n; k++) {
    const c = b[k] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return null;
  }
  return { index, digest: Buffer.from(b.buffer, b.byteOffset + start, n - start) };
}

function check(parsed: { index: number; digest: Buffer } | null, keys: AuthKeys, data: () => Uint8Array): Verdict {
  if (parsed === null) return 'malformed';
  const key = keys.keys.get(parsed.index);
  if (key === undefined) return 'unknown-key';
  // The digest length follows from the method (sha1 40, md5 32, crc 1..8 hex): refuse before hashing.
  const n = parsed.digest.length;
  if (key.method === 'sha1' ? n !== 40 : key.method === 'md5' ? n !== 32 : n > 8) return 'bad-digest';
  const expected = digestHex(key.method, key.key, data());
  // Lengths are public (they follow from the method); only equal lengths go to the constant-time compare.
  if (expected.length !== n) return 'bad-digest';
  return sameHex(expected, parsed.digest) ? 'ok' : 'bad-digest';
}

/**
 * Constant-time comparison of a hex digest string with the received digest bytes (equal lengths): every byte
 * is looked at whatever the first difference, as timingSafeEqual does, without a buffer per packet.
 */
function sameHex(expected: string, got: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff |= expected.charCodeAt(i) ^ (got[i] as number);
  return diff === 0;
}

/**
 * The inner `auth` field (isauthentic): the digest of the classic rendering of every other field, with the
 * key of the field's own index — which is what the real node checks on serial links (and the API path).
 */
export function verifyInnerAuth(message: Message, keys: AuthKeys): Verdict {
  const f = getField(message, AUTH_FIELD);
  if (f === undefined) return 'no-signature';
  if (f.type !== FT_STRING) return 'malformed';
  return check(parseAuthText(f.value), keys, () => renderForAuth(message));
}

/**
 * The netstring trailer (is_auth_netstring): the digest of the body bytes `###\n…%%%\n` exactly as received.
 * Deviation, deliberate: Heartbeat takes the method of index N but the key of the *outbound* index
 * (hb_compute_authentication, §3.6); we use index N's own key. Identical when both nodes share one index.
 */
export function verifyTrailer(packet: NetstringPacket, keys: AuthKeys): Verdict {
  if (packet.trailer === null) return 'no-signature';
  return check(parseAuthText(packet.trailer), keys, () => packet.body);
}
