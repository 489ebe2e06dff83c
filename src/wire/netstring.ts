// The netstring form Heartbeat sends on UDP and ICMP (cl_netstring.c: msg2netstring_buf, netstring2msg_rec).
import { Buffer } from 'node:buffer';
import { err, ok, type Result } from '../core/result.js';
import { decodeError, type DecodeError } from './decode-error.js';
import { MAX_DEPTH, MAX_MESSAGE_BYTES, type Field, type Message } from './message.js';
import { nameProblem } from './validate.js';

const START = Buffer.from('###\n', 'latin1');
const END = Buffer.from('%%%\n', 'latin1');

/** A decoded netstring packet: the message, the signed body and the trailer, each as on the wire. */
export interface NetstringPacket {
  readonly message: Message;
  /** `###\n` through `%%%\n` inclusive: exactly the bytes the trailer signature covers. */
  readonly body: Uint8Array;
  /** What the trailer netstring holds (e.g. `1 8d08…`), or null when the packet ends right after `%%%\n`. */
  readonly trailer: Uint8Array | null;
}

/**
 * Writes a latin1 string; a plain loop beats Buffer#write for the short names and numbers of Heartbeat
 * messages (the call overhead dominates), so long strings alone go to Buffer#write.
 */
export function writeLatin1(buf: Buffer, s: string, off: number): number {
  const n = s.length;
  if (n > 32) return off + buf.write(s, off, 'latin1');
  for (let i = 0; i < n; i++) buf[off + i] = s.charCodeAt(i);
  return off + n;
}

/** Writes a non-negative integer in decimal. */
export function writeDecimal(buf: Buffer, v: number, off: number): number {
  const d = digits(v);
  for (let i = d - 1; i >= 0; i--) {
    buf[off + i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return off + d;
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : String(n).length;
}

/** Bytes of the packed list value `3:abc,4:defg,` (string_list_pack). */
export function packedListLength(list: readonly Uint8Array[]): number {
  let n = 0;
  for (const e of list) n += digits(e.length) + 2 + e.length;
  return n;
}

export function writePackedList(list: readonly Uint8Array[], buf: Buffer, off: number): number {
  for (const e of list) {
    off = writeDecimal(buf, e.length, off);
    buf[off++] = 0x3a;
    buf.set(e, off);
    off += e.length;
    buf[off++] = 0x2c;
  }
  return off;
}

function valueLength(f: Field): number {
  switch (f.type) {
    case 2:
      return netstringBodyLength(f.value);
    case 3:
      return packedListLength(f.value);
    default:
      return f.value.length;
  }
}

/** Length of `###\n…%%%\n` for this message (no trailer). */
export function netstringBodyLength(m: Message): number {
  let n = 8;
  for (const f of m.fields) {
    const item = 3 + f.name.length + 1 + valueLength(f); // L = 3 + len(name) + 1 + len(value), §1.3
    n += digits(item) + 1 + item + 1;
  }
  return n;
}

/** Writes `###\n…%%%\n` at `off`; returns the offset after it. Callers size `buf` with netstringBodyLength. */
export function writeNetstringBody(m: Message, buf: Buffer, off: number): number {
  buf.set(START, off);
  off += 4;
  for (const f of m.fields) {
    const item = 3 + f.name.length + 1 + valueLength(f);
    off = writeDecimal(buf, item, off);
    buf[off++] = 0x3a; // ':'
    buf[off++] = 0x28; // '('
    buf[off++] = 0x30 + f.type;
    buf[off++] = 0x29; // ')'
    off = writeLatin1(buf, f.name, off);
    buf[off++] = 0x3d; // '='
    switch (f.type) {
      case 2:
        off = writeNetstringBody(f.value, buf, off);
        break;
      case 3:
        off = writePackedList(f.value, buf, off);
        break;
      default:
        buf.set(f.value, off);
        off += f.value.length;
    }
    buf[off++] = 0x2c; // ','
  }
  buf.set(END, off);
  return off + 4;
}

/** `###\n…%%%\n` without a trailer (msg2netstring_noauth; also the nested-struct and compressed-payload form). */
export function encodeNetstringBody(m: Message): Buffer {
  const buf = Buffer.allocUnsafe(netstringBodyLength(m));
  writeNetstringBody(m, buf, 0);
  return buf;
}

/**
 * Reads a canonical decimal length at `off` up to `:`: digits only, no sign, no leading zero. Heartbeat's
 * cl_parse_int is laxer, but a laxer reader would accept packets we could not re-encode byte for byte.
 * Returns [value, offset after ':'] or null.
 */
export function readLength(b: Uint8Array, off: number, end: number): [number, number] | null {
  let n = 0;
  let i = off;
  while (i < end && i - off < 8) {
    const c = b[i] as number;
    if (c === 0x3a) break;
    if (c < 0x30 || c > 0x39) return null;
    if (i > off && n === 0) return null; // leading zero
    n = n * 10 + (c - 0x30);
    i++;
  }
  if (i === off || i >= end || b[i] !== 0x3a) return null;
  return [n, i + 1];
}

/** Unpacks `3:abc,4:defg,` (string_list_unpack); elements are C strings, so NUL is refused. */
export function unpackList(b: Uint8Array, start: number, end: number): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let off = start;
  if (off >= end) return null;
  while (off < end) {
    const len = readLength(b, off, end);
    if (len === null) return null;
    const [n, data] = len;
    if (n > end - data - 1 || b[data + n] !== 0x2c) return null;
    const e = b.subarray(data, data + n);
    if (e.includes(0)) return null;
    out.push(e);
    off = data + n + 1;
  }
  return out;
}

function startsWith(b: Uint8Array, off: number, end: number, marker: Uint8Array): boolean {
  if (end - off < marker.length) return false;
  for (let i = 0; i < marker.length; i++) if (b[off + i] !== marker[i]) return false;
  return true;
}

/**
 * The names of Heartbeat's control and membership fields, by length: a received heartbeat's names are
 * matched against these and shared, instead of a new string (and a name check) per field per packet.
 */
const KNOWN_NAMES: readonly (readonly string[])[] = (() => {
  const names = ['t', 'st', 'dt', 'protocol', 'src', 'srcuuid', 'seq', 'hg', 'ts', 'ld', 'ttl', 'auth', 'dest', 'destuuid', 'ackseq', 'firstseq', 'lastseq', 'info', 'nodelist', 'delnodelist'];
  const byLength: string[][] = [];
  for (const n of names) (byLength[n.length] ??= []).push(n);
  return byLength;
})();

function knownName(b: Uint8Array, start: number, end: number): string | undefined {
  const candidates = KNOWN_NAMES[end - start];
  if (candidates === undefined) return undefined;
  next: for (const n of candidates) {
    for (let i = 0; i < n.length; i++) if (b[start + i] !== n.charCodeAt(i)) continue next;
    return n;
  }
  return undefined;
}

/** Parses `###\n` fields `%%%\n` from `off`; returns the message and the offset after `%%%\n`. */
function parseBody(b: Uint8Array, off: number, end: number, depth: number): Result<[Message, number], DecodeError> {
  if (!startsWith(b, off, end, START)) return err(decodeError('no-start', off, 'expected "###\\n"'));
  off += 4;
  const fields: Field[] = [];
  for (;;) {
    if (off >= end) return err(decodeError('no-end', off, 'missing "%%%\\n"'));
    if (startsWith(b, off, end, END)) return ok([{ fields }, off + 4]);
    const len = readLength(b, off, end);
    if (len === null) return err(decodeError('bad-length', off, 'bad netstring length'));
    const [n, item] = len;
    // Check the declared length against what is there before touching (or allocating for) the value.
    if (n > end - item - 1) return err(decodeError('truncated', off, `item of ${n} bytes overruns the input`));
    const itemEnd = item + n;
    if (b[itemEnd] !== 0x2c) return err(decodeError('bad-item', itemEnd, 'item not followed by ","'));
    // process_netstring_nvpair asserts "(d)": a malformed item can abort the C receiver (pitfall 6).
    if (n < 5 || b[item] !== 0x28 || b[item + 2] !== 0x29) return err(decodeError('bad-item', item, 'item does not start with "(d)"'));
    const t = (b[item + 1] as number) - 0x30;
    if (t < 0 || t > 4) return err(decodeError('bad-type', item + 1, `field type byte 0x${(b[item + 1] as number).toString(16)}`));
    let eq = item + 3;
    while (eq < itemEnd && b[eq] !== 0x3d) eq++;
    if (eq >= itemEnd) return err(decodeError('bad-item', item, 'item without "="'));
    let name = knownName(b, item + 3, eq);
    if (name === undefined) {
      name = Buffer.from(b.buffer, b.byteOffset + item + 3, eq - item - 3).toString('latin1');
      const np = nameProblem(name);
      if (np !== null) return err(decodeError('bad-name', item + 3, np));
    }
    const v0 = eq + 1;
    switch (t) {
      case 0: {
        for (let i = v0; i < itemEnd; i++) if (b[i] === 0) return err(decodeError('bad-value', v0, `${name}: NUL in a text value`));
        fields.push({ name, type: 0, value: b.subarray(v0, itemEnd) });
        break;
      }
      case 1:
      case 4:
        fields.push({ name, type: t, value: b.subarray(v0, itemEnd) });
        break;
      case 2: {
        if (depth + 1 >= MAX_DEPTH) return err(decodeError('too-deep', v0, `nesting deeper than ${MAX_DEPTH - 1}`));
        const child = parseBody(b, v0, itemEnd, depth + 1);
        if (!child.ok) return child;
        if (child.value[1] !== itemEnd) return err(decodeError('trailing-bytes', child.value[1], `${name}: bytes after nested "%%%\\n"`));
        fields.push({ name, type: 2, value: child.value[0] });
        break;
      }
      case 3: {
        const list = unpackList(b, v0, itemEnd);
        if (list === null) return err(decodeError('bad-list', v0, `${name}: bad packed list`));
        fields.push({ name, type: 3, value: list });
        break;
      }
    }
    off = itemEnd + 1;
  }
}

/**
 * Decodes one netstring-form packet (a UDP payload or ICMP echo data). The trailer, when present, must end
 * the input exactly (the real node sends no trailing NUL). Never throws; malformed input gives a reason.
 * Values are views into `bytes` (no copies): do not reuse the buffer while the message is in use.
 * `maxBytes` is MAXMSG except for decompressed payloads (MAXUNCOMPRESSED).
 */
export function decodeNetstring(bytes: Uint8Array, maxBytes: number = MAX_MESSAGE_BYTES): Result<NetstringPacket, DecodeError> {
  if (bytes.length === 0) return err(decodeError('empty', 0, 'empty input'));
  if (bytes.length > maxBytes) return err(decodeError('too-large', maxBytes, `${bytes.length} bytes > ${maxBytes}`));
  const parsed = parseBody(bytes, 0, bytes.length, 0);
  if (!parsed.ok) return parsed;
  const [message, bodyEnd] = parsed.value;
  const body = bytes.subarray(0, bodyEnd);
  if (bodyEnd === bytes.length) return ok({ message, body, trailer: null });
  const len = readLength(bytes, bodyEnd, bytes.length);
  if (len === null) return err(decodeError('bad-trailer', bodyEnd, 'bad trailer length'));
  const [n, data] = len;
  if (n > bytes.length - data - 1) return err(decodeError('truncated', bodyEnd, 'trailer overruns the input'));
  if (bytes[data + n] !== 0x2c) return err(decodeError('bad-trailer', data + n, 'trailer not followed by ","'));
  if (data + n + 1 !== bytes.length) return err(decodeError('trailing-bytes', data + n + 1, 'bytes after the trailer'));
  return ok({ message, body, trailer: bytes.subarray(data, data + n) });
}
