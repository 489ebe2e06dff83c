// Building and signing outgoing messages: the inner `auth` field, then (netstring) the trailer.
import { Buffer } from 'node:buffer';
import type { AuthKeys, AuthKey } from '../core/auth-keys.js';
import { err, ok, type Result } from '../core/result.js';
import { AUTH_FIELD, classicEncodedLength, encodeClassic as renderClassic, renderForAuth } from './classic.js';
import { compressMessage, type CompressionAlgorithm } from './compress.js';
import { digestHex } from './digest.js';
import { MAX_MESSAGE_BYTES, MAX_UNCOMPRESSED_BYTES, makeMessage, setField, stringField, type Field, type Message } from './message.js';
import { netstringBodyLength, writeNetstringBody } from './netstring.js';
import { messageProblem, type EncodeError } from './validate.js';

function activeKey(keys: AuthKeys): Result<AuthKey, EncodeError> {
  const key = keys.keys.get(keys.activeIndex);
  return key === undefined ? err({ reason: 'unknown-key', detail: `no key for "auth ${keys.activeIndex}"` }) : ok(key);
}

/**
 * add_msg_auth: sets `auth = "<index> <digest of the other fields' classic rendering>"`, replacing an existing
 * `auth` field in place (ha_msg_mod) or appending it — it is normally the last field.
 */
export function signMessage(message: Message, keys: AuthKeys): Result<Message, EncodeError> {
  const key = activeKey(keys);
  if (!key.ok) return key;
  const digest = digestHex(key.value.method, key.value.key, renderForAuth(message));
  return ok(setField(message, stringField(AUTH_FIELD, `${key.value.index} ${digest}`)));
}

/** When to compress (`traditional_compression yes` + `compression_threshold`, cl_msg.c: msg2wirefmt_ll). */
export interface CompressionOptions {
  readonly algorithm: CompressionAlgorithm;
  /** Compress when heartbeatWireLength() exceeds this (Heartbeat: compression_threshold KiB, default 2 KiB). */
  readonly thresholdBytes: number;
}

/**
 * The size msg2wirefmt_ll compares with the compression threshold and MAXMSG: get_stringlen (the classic form
 * plus its NUL) under the default `msgfmt classic`, or get_netstringlen when the message holds struct or
 * compressed fields (must_use_netstring) — even though the bytes sent are always the netstring form.
 */
export function heartbeatWireLength(m: Message): number {
  const netstring = m.fields.some((f) => f.type === 2 || f.type === 4);
  return netstring ? netstringBodyLength(m) : classicEncodedLength(m) + 1;
}

export interface NetstringEncodeOptions {
  /** Leave the inner `auth` field as it is (for tests re-encoding a received message); default: re-sign it. */
  readonly keepInnerAuth?: boolean;
  /** Absent: compress only when the message would exceed MAXMSG (as Heartbeat always does). */
  readonly compression?: CompressionOptions;
}

/** body + `<len>:<index> <digest>,` — the trailer of msg2netstring_ll, over the body bytes. One allocation. */
function withTrailer(bodyMessage: Message, key: AuthKey): Buffer {
  const bodyLen = netstringBodyLength(bodyMessage);
  // The trailer is at most "NN:" + "15 " + 40 hex + "," — 64 bytes is always enough.
  const buf = Buffer.allocUnsafe(bodyLen + 64);
  writeNetstringBody(bodyMessage, buf, 0);
  const authText = `${key.index} ${digestHex(key.method, key.key, buf.subarray(0, bodyLen))}`;
  const end = bodyLen + buf.write(`${authText.length}:${authText},`, bodyLen, 'latin1');
  return buf.subarray(0, end);
}

/**
 * The UDP/ICMP packet Heartbeat would send for `message` (process_outbound_packet → msg2wirefmt): the inner
 * `auth` field signed with the active key, the netstring body, and the trailer. Compression as configured.
 */
export function encodeNetstring(message: Message, keys: AuthKeys, options: NetstringEncodeOptions = {}): Result<Uint8Array, EncodeError> {
  const problem = messageProblem(message, 'netstring');
  if (problem !== null) return err(problem);
  const key = activeKey(keys);
  if (!key.ok) return key;
  let signed = message;
  if (options.keepInnerAuth !== true) {
    const s = signMessage(message, keys);
    if (!s.ok) return s;
    signed = s.value;
  }
  const bodyLen = netstringBodyLength(signed);
  if (bodyLen > MAX_UNCOMPRESSED_BYTES) return err({ reason: 'too-large', detail: `${bodyLen} bytes > MAXUNCOMPRESSED` });
  const c = options.compression;
  const wireLen = c === undefined && bodyLen < MAX_MESSAGE_BYTES / 2 ? 0 : heartbeatWireLength(signed); // skip the sizing when it cannot matter
  if (wireLen >= MAX_MESSAGE_BYTES || (c !== undefined && wireLen > c.thresholdBytes)) {
    const packet = withTrailer(compressMessage(signed, c?.algorithm ?? 'zlib'), key.value);
    if (packet.length > MAX_MESSAGE_BYTES) return err({ reason: 'too-large', detail: `${packet.length} bytes even compressed` });
    return ok(packet);
  }
  const packet = withTrailer(signed, key.value);
  if (packet.length > MAX_MESSAGE_BYTES) return err({ reason: 'too-large', detail: `${packet.length} bytes > MAXMSG` });
  return ok(packet);
}

export interface ClassicEncodeOptions {
  /** Sign (set the inner `auth` field) with the active key, as serial_write does before every write. */
  readonly keys?: AuthKeys;
  /** Append the NUL that the API socket and FIFO carry. */
  readonly trailingNul?: boolean;
}

/** The classic `>>>\n…<<<\n` form, checked for what the form can carry, optionally signed. */
export function encodeClassic(message: Message, options: ClassicEncodeOptions = {}): Result<Uint8Array, EncodeError> {
  const problem = messageProblem(message, 'classic');
  if (problem !== null) return err(problem);
  let m = message;
  if (options.keys !== undefined) {
    const s = signMessage(message, options.keys);
    if (!s.ok) return s;
    m = s.value;
  }
  const bytes = renderClassic(m, { trailingNul: options.trailingNul === true });
  if (bytes.length > MAX_MESSAGE_BYTES) return err({ reason: 'too-large', detail: `${bytes.length} bytes > MAXMSG` });
  return ok(bytes);
}

/**
 * A fresh signed packet from fields in order, e.g.
 * `buildSignedPacket([['t','status'],['st','active'],…], keys, 'netstring')`. The `auth` field is appended.
 */
export function buildSignedPacket(
  fields: ReadonlyArray<Field | readonly [string, string]>,
  keys: AuthKeys,
  form: 'netstring' | 'classic' = 'netstring',
): Result<Uint8Array, EncodeError> {
  const m = makeMessage(fields);
  return form === 'netstring' ? encodeNetstring(m, keys) : encodeClassic(m, { keys });
}
