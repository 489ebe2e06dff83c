// The checks every received frame passes before the membership state sees it: decodes, is authentic, has its fields.
import type { AuthKeys } from '../core/auth-keys.js';
import { decodeFrame, getString, verifyInnerAuth, verifyTrailer, type Message } from '../wire/index.js';
import { parseHex } from './hex.js';
import type { DropReason } from './types.js';

export type Admission =
  /** Our own broadcast come back: dropped silently, as Heartbeat drops it as a duplicate. */
  | { readonly kind: 'own' }
  /** Counted under `reason`, logged (rate-limited per `key`, a peer name or the medium) with `text`. */
  | { readonly kind: 'drop'; readonly reason: DropReason; readonly key: string; readonly text: string }
  | { readonly kind: 'ok'; readonly message: Message; readonly src: string; readonly type: string; readonly seqText: string | undefined; readonly isNs: boolean };

export function admitFrame(bytes: Uint8Array, medium: string, localNode: string, keys: AuthKeys): Admission {
  const frame = decodeFrame(bytes);
  if (!frame.ok) return { kind: 'drop', reason: 'undecodable', key: medium, text: `undecodable frame on ${medium}: ${frame.error.reason}` };
  const message = frame.value.inner ?? frame.value.message;
  const src = getString(message, 'src');
  // Our own broadcasts come back to us (Heartbeat drops them as duplicates): drop them before the HMAC.
  if (src === localNode) return { kind: 'own' };
  // What the real node checks: the trailer on UDP (netstring), the inner `auth` field on serial (classic).
  const verdict = frame.value.form === 'netstring' ? verifyTrailer(frame.value.packet, keys) : verifyInnerAuth(message, keys);
  if (verdict !== 'ok') {
    return { kind: 'drop', reason: 'bad-auth', key: src ?? medium, text: `authentication failed (${verdict}) for a ${frame.value.form} frame from ${src ?? 'an unnamed sender'} on ${medium}` };
  }
  const type = getString(message, 't');
  const tsText = getString(message, 'ts');
  const seqText = getString(message, 'seq');
  const isNs = type?.startsWith('NS_') ?? false;
  if (src === undefined || type === undefined || tsText === undefined || parseHex(tsText) === 0 || (!isNs && seqText === undefined)) {
    const missing = src === undefined ? 'src' : type === undefined ? 't' : tsText === undefined || parseHex(tsText) === 0 ? 'ts' : 'seq';
    return { kind: 'drop', reason: 'missing-field', key: src ?? medium, text: `message without ${missing} from ${src ?? 'an unnamed sender'} on ${medium}` };
  }
  return { kind: 'ok', message, src, type, seqText, isNs };
}
