// The classic string form `>>>\n name=value\n … <<<\n` (cl_msg.c: msg2string_buf, string2msg_ll), used on
// serial links, the API socket, the FIFO, and as the input of the inner `auth` field's digest.
import { Buffer } from 'node:buffer';
import { err, ok, type Result } from '../core/result.js';
import { decodeError, type DecodeError } from './decode-error.js';
import { MAX_DEPTH, MAX_MESSAGE_BYTES, type Field, type Message } from './message.js';
import { packedListLength, unpackList, writeLatin1, writePackedList } from './netstring.js';
import { NEWLINE_SYM, SPECIAL_SYMS, nameProblem } from './validate.js';

const HEAD = Buffer.from('>>>\n', 'latin1');
const TAIL = Buffer.from('<<<\n', 'latin1');
/** F_AUTH: the field msg2string_buf(NOHEAD) leaves out, because it holds the digest of the others. */
export const AUTH_FIELD = 'auth';

function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

function fieldLength(f: Field, depth: number): number {
  const prefix = f.type === 0 ? 0 : 3; // "(t)" only for types other than FT_STRING
  let v: number;
  switch (f.type) {
    case 0:
      v = f.value.length;
      break;
    case 1:
    case 4:
      v = base64Length(f.value.length);
      break;
    case 2:
      v = classicLength(f.value, depth + 1, true, false);
      break;
    case 3:
      v = packedListLength(f.value);
      break;
  }
  return prefix + f.name.length + 1 + v + 1;
}

function classicLength(m: Message, depth: number, head: boolean, skipAuth: boolean): number {
  let n = head ? 8 : 0;
  for (const f of m.fields) if (!(skipAuth && f.name === AUTH_FIELD)) n += fieldLength(f, depth);
  return n;
}

function writeFields(m: Message, buf: Buffer, off: number, depth: number, head: boolean, skipAuth: boolean): number {
  if (head) {
    buf.set(HEAD, off);
    off += 4;
  }
  for (const f of m.fields) {
    if (skipAuth && f.name === AUTH_FIELD) continue;
    if (f.type !== 0) {
      buf[off++] = 0x28;
      buf[off++] = 0x30 + f.type;
      buf[off++] = 0x29;
    }
    off = writeLatin1(buf, f.name, off);
    buf[off++] = 0x3d;
    switch (f.type) {
      case 0: {
        // str2string: each newline of a text value becomes SPECIAL_SYM (0x13).
        const v = f.value;
        for (let i = 0; i < v.length; i++) {
          const c = v[i] as number;
          buf[off++] = c === 0x0a ? NEWLINE_SYM : c;
        }
        break;
      }
      case 1:
      case 4:
        // binary2string: standard base64 with padding, no line breaks (base64.c).
        off += buf.write(Buffer.from(f.value.buffer, f.value.byteOffset, f.value.byteLength).toString('base64'), off, 'latin1');
        break;
      case 2: {
        // struct2string: the child rendered with its own >>>/<<< at depth+1, newlines → SPECIAL_SYMS[depth].
        const start = off;
        off = writeFields(f.value, buf, off, depth + 1, true, false);
        const sym = SPECIAL_SYMS[depth] as number;
        for (let i = start; i < off; i++) if (buf[i] === 0x0a) buf[i] = sym;
        break;
      }
      case 3:
        off = writePackedList(f.value, buf, off);
        break;
    }
    buf[off++] = 0x0a;
  }
  if (head) {
    buf.set(TAIL, off);
    off += 4;
  }
  return off;
}

/** Bytes of the classic form `>>>\n…<<<\n` of `m` (without a NUL). */
export function classicEncodedLength(m: Message): number {
  return classicLength(m, 0, true, false);
}

/** The classic form `>>>\n…<<<\n` (plus one NUL when `trailingNul`, as on the API socket and the FIFO). */
export function encodeClassic(m: Message, options: { readonly trailingNul?: boolean } = {}): Buffer {
  const nul = options.trailingNul === true ? 1 : 0;
  const buf = Buffer.allocUnsafe(classicLength(m, 0, true, false) + nul);
  const end = writeFields(m, buf, 0, 0, true, false);
  if (nul === 1) buf[end] = 0;
  return buf;
}

/**
 * What the inner `auth` field signs: msg2string_buf(msg, NOHEAD) — every top-level field except `auth`,
 * one `[(t)]name=value\n` line each, no `>>>`/`<<<`, no NUL (ha_msg_internal.c: add_msg_auth).
 */
export function renderForAuth(m: Message): Buffer {
  const buf = Buffer.allocUnsafe(classicLength(m, 0, false, true));
  writeFields(m, buf, 0, 0, false, true);
  return buf;
}

/** Decodes standard padded base64 strictly: anything our encoder would not produce is refused. */
export function decodeBase64Strict(b: Uint8Array, start: number, end: number): Uint8Array | null {
  const n = end - start;
  if (n % 4 !== 0) return null;
  const text = Buffer.from(b.buffer, b.byteOffset + start, n).toString('latin1');
  const out = Buffer.from(text, 'base64');
  return out.toString('base64') === text ? out : null;
}

function startsWith(b: Uint8Array, off: number, end: number, marker: Uint8Array): boolean {
  if (end - off < marker.length) return false;
  for (let i = 0; i < marker.length; i++) if (b[off + i] !== marker[i]) return false;
  return true;
}

/** Parses one `>>>\n…<<<\n` from `off`; returns the message and the offset after `<<<\n`. */
function parseClassic(b: Uint8Array, off: number, end: number, depth: number): Result<[Message, number], DecodeError> {
  if (!startsWith(b, off, end, HEAD)) return err(decodeError('no-start', off, 'expected ">>>\\n"'));
  off += 4;
  const fields: Field[] = [];
  for (;;) {
    const nl = b.indexOf(0x0a, off);
    if (nl < 0 || nl >= end) return err(decodeError('no-end', off, 'missing "<<<\\n"'));
    if (nl === off) {
      off++; // string2msg_ll skips empty lines
      continue;
    }
    if (nl - off === 3 && b[off] === 0x3c && b[off + 1] === 0x3c && b[off + 2] === 0x3c) return ok([{ fields }, nl + 1]);
    let type = 0;
    let p = off;
    // A leading "(d)" with a single digit d != 0 sets the type (ha_msg_add_nv_depth).
    if (nl - off >= 3 && b[off] === 0x28 && b[off + 2] === 0x29 && (b[off + 1] as number) > 0x30 && (b[off + 1] as number) <= 0x39) {
      type = (b[off + 1] as number) - 0x30;
      if (type > 4) return err(decodeError('bad-type', off + 1, `field type ${type}`));
      p += 3;
    }
    let eq = p;
    while (eq < nl && b[eq] !== 0x3d) eq++;
    if (eq >= nl) return err(decodeError('bad-item', off, 'line without "="'));
    const name = Buffer.from(b.buffer, b.byteOffset + p, eq - p).toString('latin1');
    const np = nameProblem(name);
    if (np !== null) return err(decodeError('bad-name', p, np));
    const v0 = eq + 1;
    switch (type) {
      case 0: {
        const value = Buffer.from(b.subarray(v0, nl)); // a copy: 0x13 is turned back into newline in place
        for (let i = 0; i < value.length; i++) {
          if (value[i] === NEWLINE_SYM) value[i] = 0x0a;
          else if (value[i] === 0) return err(decodeError('bad-value', v0 + i, `${name}: NUL in a text value`));
        }
        fields.push({ name, type: 0, value });
        break;
      }
      case 1:
      case 4: {
        const value = decodeBase64Strict(b, v0, nl);
        if (value === null) return err(decodeError('bad-base64', v0, `${name}: not canonical base64`));
        fields.push({ name, type, value });
        break;
      }
      case 2: {
        if (depth + 1 >= MAX_DEPTH) return err(decodeError('too-deep', v0, `nesting deeper than ${MAX_DEPTH - 1}`));
        const sym = SPECIAL_SYMS[depth] as number;
        const child = Buffer.from(b.subarray(v0, nl));
        for (let i = 0; i < child.length; i++) if (child[i] === sym) child[i] = 0x0a;
        const parsed = parseClassic(child, 0, child.length, depth + 1);
        if (!parsed.ok) return err(decodeError(parsed.error.reason, v0 + parsed.error.offset, parsed.error.detail));
        if (parsed.value[1] !== child.length) return err(decodeError('trailing-bytes', v0 + parsed.value[1], `${name}: bytes after nested "<<<"`));
        fields.push({ name, type: 2, value: parsed.value[0] });
        break;
      }
      case 3: {
        const list = unpackList(b, v0, nl);
        if (list === null) return err(decodeError('bad-list', v0, `${name}: bad packed list`));
        fields.push({ name, type: 3, value: list });
        break;
      }
    }
    off = nl + 1;
  }
}

/**
 * Decodes exactly one classic-form message: `>>>\n`, lines, `<<<\n`, optionally one NUL (IPC/FIFO), nothing
 * else. Never throws; malformed input gives a reason. `maxBytes`: MAXMSG, or MAXUNCOMPRESSED for payloads.
 */
export function decodeClassic(bytes: Uint8Array, maxBytes: number = MAX_MESSAGE_BYTES): Result<Message, DecodeError> {
  if (bytes.length === 0) return err(decodeError('empty', 0, 'empty input'));
  if (bytes.length > maxBytes) return err(decodeError('too-large', maxBytes, `${bytes.length} bytes > ${maxBytes}`));
  const parsed = parseClassic(bytes, 0, bytes.length, 0);
  if (!parsed.ok) return parsed;
  const end = parsed.value[1];
  if (end === bytes.length || (end === bytes.length - 1 && bytes[end] === 0)) return ok(parsed.value[0]);
  return err(decodeError('trailing-bytes', end, 'bytes after "<<<\\n"'));
}
