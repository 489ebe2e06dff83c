// Whole-message compression (cluster-glue cl_compress.c): `_compressed_payload` + `_compression_algorithm`.
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';
import { err, ok, type Result } from '../core/result.js';
import { bunzip2 } from './bzip2.js';
import { decodeClassic } from './classic.js';
import { decodeError, type DecodeError } from './decode-error.js';
import { FT_BINARY, MAX_MESSAGE_BYTES, MAX_UNCOMPRESSED_BYTES, getField, getString, stringField, type Message } from './message.js';
import { decodeNetstring, encodeNetstringBody } from './netstring.js';

/**
 * node:zlib on first use: only a cluster with `compression` in ha.cf or a peer sending compressed messages needs
 * it, and loading it costs about 1.7 MB of RSS (synchronous require of a built-in: no I/O).
 */
let zlibModule: typeof Zlib | undefined;
function zlib(): typeof Zlib {
  zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib;
  return zlibModule;
}

/** COMPRESSED_FIELD and COMPRESS_NAME of cl_compress.c. */
export const COMPRESSED_PAYLOAD_FIELD = '_compressed_payload';
export const COMPRESSION_ALGORITHM_FIELD = '_compression_algorithm';

/** Algorithms we can produce. bz2 we only decode (bzip2.ts): Node has no bzip2 compressor without an addon. */
export type CompressionAlgorithm = 'zlib';

/** is_compressed_msg: the message carries a compressed payload. */
export function isCompressed(m: Message): boolean {
  return getField(m, COMPRESSED_PAYLOAD_FIELD) !== undefined;
}

/**
 * cl_compressmsg: the original message in netstring form without auth, zlib `compress()`ed (RFC 1950, default
 * level), carried as `(1)_compressed_payload` followed by `_compression_algorithm=zlib`. The caller signs the
 * outer message with a trailer only (msg2netstring adds no inner auth to it).
 */
export function compressMessage(m: Message, algorithm: CompressionAlgorithm = 'zlib'): Message {
  const payload = zlib().deflateSync(encodeNetstringBody(m));
  return { fields: [{ name: COMPRESSED_PAYLOAD_FIELD, type: FT_BINARY, value: payload }, stringField(COMPRESSION_ALGORITHM_FIELD, algorithm)] };
}

/**
 * cl_decompressmsg: the message inside a compressed one (null when `m` is not compressed). zlib (node:zlib)
 * and bz2 (our pure decoder) are both capped at MAXUNCOMPRESSED (2 MiB); any other name gives
 * 'unsupported-compression', as get_compress_fns() failing does in Heartbeat.
 */
export function decompressMessage(m: Message): Result<Message | null, DecodeError> {
  const f = getField(m, COMPRESSED_PAYLOAD_FIELD);
  if (f === undefined) return ok(null);
  if (f.type !== FT_BINARY) return err(decodeError('bad-compressed', 0, `${COMPRESSED_PAYLOAD_FIELD} is not binary`));
  if (f.value.length > MAX_MESSAGE_BYTES) return err(decodeError('too-large', 0, 'compressed payload > MAXMSG'));
  const algorithm = getString(m, COMPRESSION_ALGORITHM_FIELD);
  if (algorithm === undefined) return err(decodeError('bad-compressed', 0, 'compress name not found'));
  let inner: Buffer;
  if (algorithm === 'zlib') {
    try {
      // zlib reports corrupt input and over-long output by throwing; we turn that into a reason.
      inner = zlib().inflateSync(f.value, { maxOutputLength: MAX_UNCOMPRESSED_BYTES });
    } catch (e) {
      return err(decodeError('bad-compressed', 0, `zlib: ${e instanceof Error ? e.message : String(e)}`));
    }
  } else if (algorithm === 'bz2') {
    const r = bunzip2(f.value, MAX_UNCOMPRESSED_BYTES);
    if (!r.ok) return err(decodeError('bad-compressed', 0, `bz2: ${r.error}`));
    inner = r.value;
  } else {
    return err(decodeError('unsupported-compression', 0, `compression "${algorithm}" is not supported`));
  }
  if (inner.length === 0) return err(decodeError('bad-compressed', 0, 'empty payload'));
  // wirefmt2msg dispatches on the first bytes: netstring or classic; up to MAXUNCOMPRESSED is legal here.
  if (inner[0] === 0x23) {
    const p = decodeNetstring(inner, MAX_UNCOMPRESSED_BYTES);
    return p.ok ? ok(p.value.message) : p;
  }
  return decodeClassic(inner, MAX_UNCOMPRESSED_BYTES);
}
