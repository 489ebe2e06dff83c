// API socket framing (cluster-glue ipcsocket.c, struct SOCKET_MSG_HEAD): an 8-byte header, then the body.
/*
 *   offset 0  int32  msg_len   body bytes, host byte order (the classic body's NUL included)
 *   offset 4  uint32 magic     0x0000abcd (HEADMAGIC), host byte order
 *   offset 8  msg_len bytes    the message: `>>>\n…<<<\n\0` (classic form, cl_msg.c: msg2wirefmt_noac)
 *
 * Both directions use the same frame. The C receiver (ocf_ipc.c: ipc_bufpool_update) logs and gives up
 * on a wrong magic, and stops reading at msg_len > MAXMSG (256 KiB); we report both as errors so the
 * server can drop the connection. Pure: bytes in, bodies out; never throws on input.
 */
import { Buffer } from 'node:buffer';
import { err, ok, type Result } from '../core/result.js';
import { decodeClassic, encodeClassic } from '../wire/classic.js';
import { MAX_MESSAGE_BYTES, type Message } from '../wire/message.js';
import type { DecodeError } from '../wire/decode-error.js';

export const API_HEADER_BYTES = 8;
export const API_HEAD_MAGIC = 0xabcd;
/** MAXMSG (ipc.h): the largest body either side accepts. */
export const API_MAX_BODY_BYTES = MAX_MESSAGE_BYTES;

/** Host byte order, as the C code writes the header with memcpy of a native struct. */
export const HOST_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type ApiFrameErrorReason = 'bad-magic' | 'bad-length';

export interface ApiFrameError {
  readonly reason: ApiFrameErrorReason;
  readonly detail: string;
}

/** One frame: header + body. `littleEndian` defaults to the host's order. */
export function encodeApiFrame(body: Uint8Array, littleEndian: boolean = HOST_LITTLE_ENDIAN): Buffer {
  const out = Buffer.allocUnsafe(API_HEADER_BYTES + body.length);
  if (littleEndian) {
    out.writeInt32LE(body.length, 0);
    out.writeUInt32LE(API_HEAD_MAGIC, 4);
  } else {
    out.writeInt32BE(body.length, 0);
    out.writeUInt32BE(API_HEAD_MAGIC, 4);
  }
  out.set(body, API_HEADER_BYTES);
  return out;
}

/** A message as the daemon sends it to a client: classic form with its NUL, framed. */
export function encodeApiMessage(m: Message, littleEndian: boolean = HOST_LITTLE_ENDIAN): Buffer {
  return encodeApiFrame(encodeClassic(m, { trailingNul: true }), littleEndian);
}

/**
 * The body of one frame as a message. Heartbeat's string2msg accepts only the classic form here in
 * practice (clients never send netstring on the API); anything else is a decode error.
 */
export function decodeApiBody(body: Uint8Array): Result<Message, DecodeError> {
  return decodeClassic(body, API_MAX_BODY_BYTES);
}

/**
 * Splits a byte stream into frame bodies. Holds at most one partial frame (≤ 8 + 256 KiB); after an
 * error it stays failed (the stream has lost its framing and cannot be resynchronised).
 */
export class ApiFrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failure: ApiFrameError | undefined;

  constructor(private readonly littleEndian: boolean = HOST_LITTLE_ENDIAN) {}

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  get error(): ApiFrameError | undefined {
    return this.failure;
  }

  /** Feeds bytes; returns the bodies completed by them, or the framing error. */
  push(chunk: Uint8Array): Result<Uint8Array[], ApiFrameError> {
    if (this.failure !== undefined) return err(this.failure);
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const bodies: Uint8Array[] = [];
    let buf = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    let off = 0;
    while (buf.length - off >= API_HEADER_BYTES) {
      const len = this.littleEndian ? buf.readInt32LE(off) : buf.readInt32BE(off);
      const magic = this.littleEndian ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
      if (magic !== API_HEAD_MAGIC) {
        return this.fail({ reason: 'bad-magic', detail: `magic 0x${magic.toString(16)} at stream offset +${off}, expected 0xabcd` });
      }
      if (len < 0 || len > API_MAX_BODY_BYTES) {
        return this.fail({ reason: 'bad-length', detail: `frame length ${len} outside 0…${API_MAX_BODY_BYTES}` });
      }
      if (buf.length - off - API_HEADER_BYTES < len) break;
      // Copy: the body must not pin the (possibly large) receive buffer.
      bodies.push(Buffer.from(buf.subarray(off + API_HEADER_BYTES, off + API_HEADER_BYTES + len)));
      off += API_HEADER_BYTES + len;
    }
    buf = off === 0 ? buf : buf.subarray(off);
    this.chunks = buf.length > 0 ? [buf] : [];
    this.buffered = buf.length;
    return ok(bodies);
  }

  private fail(e: ApiFrameError): Result<Uint8Array[], ApiFrameError> {
    this.failure = e;
    this.chunks = [];
    this.buffered = 0;
    return err(e);
  }
}
