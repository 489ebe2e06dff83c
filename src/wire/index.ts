// Public API of the pure Heartbeat 3.0.6 wire codec: decode, encode, sign, verify, split, read captures.
//
// Forms (heartbeat-protocol.md §1): *netstring* `###\n<len>:(t)name=value,…%%%\n<len>:<idx> <digest>,` is
// what Heartbeat sends on UDP and ICMP; *classic* `>>>\nname=value\n…<<<\n` is used on serial links, the API
// socket and the FIFO. Both carry an inner `auth` field; netstring adds the trailer signature (§3).
// Nothing here throws on input from the network: decoders return Result, verifiers return a Verdict.
//
// At a glance:
//   decodeFrame(bytes)                      either form (+ decompression) → DecodedFrame | DecodeError
//   decodeNetstring(bytes) / decodeClassic(bytes)
//   verifyFrame(frame, keys) / verifyBytes(bytes, keys)   → { trailer, inner, accepted } verdicts
//   verifyTrailer(packet, keys) / verifyInnerAuth(message, keys)
//   encodeNetstring(message, keys, opts?)   signs (inner auth in place + trailer) with keys.activeIndex
//   encodeClassic(message, { keys?, trailingNul? })
//   buildSignedPacket([[name, value], …], keys, form?)   a fresh signed packet from fields
//   ClassicStreamSplitter, readPcap(bytes), describeMessage(message), fieldValueText(field)
import { Buffer } from 'node:buffer';
import type { AuthKeys } from '../core/auth-keys.js';
import { err, ok, type Result } from '../core/result.js';
import { decodeClassic } from './classic.js';
import { decompressMessage } from './compress.js';
import { decodeError, type DecodeError } from './decode-error.js';
import type { Message } from './message.js';
import { decodeNetstring, type NetstringPacket } from './netstring.js';
import { verifyInnerAuth, verifyTrailer, type Verdict } from './verify.js';

export type { AuthKey, AuthKeys, AuthMethodName } from '../core/auth-keys.js';
export type { DecodeError, DecodeReason } from './decode-error.js';
export type { EncodeError, EncodeReason, WireForm } from './validate.js';
export type { Field, FieldType, Message } from './message.js';
export type { NetstringPacket } from './netstring.js';
export type { Verdict } from './verify.js';
export type { PcapCapture, PcapPacket, ReadPcapOptions } from './pcap.js';
export type { MessageSummary } from './describe.js';
export type { SplitterStats } from './splitter.js';
export type { ClassicEncodeOptions, CompressionOptions, NetstringEncodeOptions } from './sign.js';

export {
  FT_BINARY,
  FT_COMPRESS,
  FT_LIST,
  FT_STRING,
  FT_STRUCT,
  MAX_DEPTH,
  MAX_MESSAGE_BYTES,
  binaryField,
  getBinary,
  getField,
  getString,
  listField,
  makeMessage,
  messagesEqual,
  setField,
  stringField,
  structField,
  withoutField,
} from './message.js';
/** decodeNetstring(bytes) → Result<NetstringPacket>: one UDP payload / ICMP echo data, trailer optional. */
export { decodeNetstring, encodeNetstringBody } from './netstring.js';
/** decodeClassic(bytes) → Result<Message>: one `>>>\n…<<<\n` (optionally + NUL). */
export { AUTH_FIELD, decodeClassic, renderForAuth } from './classic.js';
/** encodeNetstring(message, keys) signs (inner auth + trailer, active index); encodeClassic(message, {keys?}). */
export { buildSignedPacket, encodeClassic, encodeNetstring, heartbeatWireLength, signMessage } from './sign.js';
export { VERDICTS, verifyInnerAuth, verifyTrailer } from './verify.js';
export { crcHex, digestHex } from './digest.js';
export { COMPRESSED_PAYLOAD_FIELD, COMPRESSION_ALGORITHM_FIELD, compressMessage, decompressMessage, isCompressed } from './compress.js';
export { bunzip2 } from './bzip2.js';
export { ClassicStreamSplitter } from './splitter.js';
export { readPcap } from './pcap.js';
export { describeMessage, fieldValueText } from './describe.js';
export { messageProblem } from './validate.js';

/** A received frame of either form, as wirefmt2msg sees it (dispatch on the first bytes). */
export type DecodedFrame =
  | { readonly form: 'netstring'; readonly packet: NetstringPacket; readonly message: Message; readonly inner: Message | null }
  | { readonly form: 'classic'; readonly message: Message; readonly inner: Message | null };

/**
 * Decodes a frame of either form; `inner` is the decompressed message when it carries `_compressed_payload`
 * (else null). A compressed frame whose payload cannot be opened is an error (e.g. 'unsupported-compression').
 */
export function decodeFrame(bytes: Uint8Array): Result<DecodedFrame, DecodeError> {
  if (bytes.length >= 4 && bytes[0] === 0x23) {
    const p = decodeNetstring(bytes);
    if (!p.ok) return p;
    const inner = decompressMessage(p.value.message);
    if (!inner.ok) return inner;
    return ok({ form: 'netstring', packet: p.value, message: p.value.message, inner: inner.value });
  }
  if (bytes.length >= 4 && bytes[0] === 0x3e) {
    const m = decodeClassic(bytes);
    if (!m.ok) return m;
    const inner = decompressMessage(m.value);
    if (!inner.ok) return inner;
    return ok({ form: 'classic', message: m.value, inner: inner.value });
  }
  return err(decodeError(bytes.length === 0 ? 'empty' : 'no-start', 0, 'neither "###\\n" nor ">>>\\n"'));
}

/** Both signatures of a frame. Netstring: the trailer is what the real node checks on UDP; classic: inner only. */
export interface FrameVerdicts {
  /** The netstring trailer; 'no-signature' for the classic form, which has none. */
  readonly trailer: Verdict;
  /** The inner `auth` field (of the decompressed message when the frame is compressed). */
  readonly inner: Verdict;
  /** What a real Heartbeat would decide: the trailer for netstring, the inner field for classic. */
  readonly accepted: Verdict;
}

/** Verifies the signatures of a decoded frame with the given keys. */
export function verifyFrame(frame: DecodedFrame, keys: AuthKeys): FrameVerdicts {
  // A compressed message's own `auth` field travels inside the payload (cl_compressmsg compresses the signed message).
  const inner = verifyInnerAuth(frame.inner ?? frame.message, keys);
  if (frame.form === 'classic') return { trailer: 'no-signature', inner, accepted: inner };
  const trailer = verifyTrailer(frame.packet, keys);
  return { trailer, inner, accepted: trailer };
}

/** Decode + verify in one call; 'malformed' for bytes that do not decode. */
export function verifyBytes(bytes: Uint8Array, keys: AuthKeys): FrameVerdicts & { readonly error: DecodeError | null } {
  const f = decodeFrame(bytes);
  if (!f.ok) return { trailer: 'malformed', inner: 'malformed', accepted: 'malformed', error: f.error };
  return { ...verifyFrame(f.value, keys), error: null };
}

/** Test/CLI helper: AuthKeys with one key, active. `key` is latin1 (one char per byte), '' for crc. */
export function singleKey(method: 'crc' | 'md5' | 'sha1', key: string, index = 1): AuthKeys {
  return { activeIndex: index, keys: new Map([[index, { index, method, key }]]) };
}

/** Bytes from a latin1 string (handy for tests and literals). */
export function latin1(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}
