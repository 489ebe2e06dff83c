// Which messages each form can carry without loss, checked before encoding (and mirrored by the decoders).
import { MAX_DEPTH, MAX_NAME_BYTES, type Message } from './message.js';

export type WireForm = 'netstring' | 'classic';

export type EncodeReason = 'bad-name' | 'bad-value' | 'bad-list' | 'too-deep' | 'too-large' | 'unknown-key';

export interface EncodeError {
  readonly reason: EncodeReason;
  readonly detail: string;
}

/**
 * `SPECIAL_SYMS` (cl_msg_types.c): in the classic form a struct's rendering has its newlines replaced by
 * the byte for its depth, so nested messages fit on one line; 0x13 (`SPECIAL_SYM`) stands for newlines
 * inside string values.
 */
export const SPECIAL_SYMS: readonly number[] = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 15, 16, 17, 18];
export const NEWLINE_SYM = 0x13;

/** Why a name cannot be used, or null. Heartbeat requires non-empty names without `=` or newline, < 255 bytes. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'empty name';
  if (name.length > MAX_NAME_BYTES) return `name longer than ${MAX_NAME_BYTES} bytes`;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    // `=` ends the name in both forms, `\n` ends a classic line, NUL ends a C string.
    if (c > 0xff || c === 0x3d || c === 0x0a || c === 0) return `name contains byte ${c.toString(16)}`;
  }
  // A leading `(d)` is read as a type prefix by the classic parser; `>>>`/`<<<` are its frame markers.
  if (name.charCodeAt(0) === 0x28) return 'name starts with "("';
  if (name.startsWith('>>>') || name.startsWith('<<<')) return 'name starts with a frame marker';
  return null;
}

/** Bytes a text value (or list element) at this nesting depth may not contain in the given form. */
function badTextByte(v: Uint8Array, form: WireForm, depth: number, isList: boolean): number {
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as number;
    if (c === 0) return c;
    if (form === 'classic') {
      if (c === NEWLINE_SYM && !isList) return c;
      if (c === 0x0a && isList) return c;
      for (let d = 0; d < depth; d++) if (SPECIAL_SYMS[d] === c) return c;
    }
  }
  return -1;
}

/** The first reason this message cannot be encoded losslessly in `form`, or null. */
export function messageProblem(m: Message, form: WireForm, depth = 0): EncodeError | null {
  for (const f of m.fields) {
    const np = nameProblem(f.name);
    if (np !== null) return { reason: 'bad-name', detail: `${JSON.stringify(f.name)}: ${np}` };
    if (form === 'classic' && depth > 0) {
      // Inside a struct the enclosing levels turn their SPECIAL_SYMS back into newlines, names included.
      for (let i = 0; i < f.name.length; i++) {
        const c = f.name.charCodeAt(i);
        for (let d = 0; d < depth; d++) {
          if (SPECIAL_SYMS[d] === c) return { reason: 'bad-name', detail: `${JSON.stringify(f.name)}: byte 0x${c.toString(16)} inside a struct` };
        }
      }
    }
    switch (f.type) {
      case 0: {
        const b = badTextByte(f.value, form, depth, false);
        if (b >= 0) return { reason: 'bad-value', detail: `${f.name}: text value contains byte 0x${b.toString(16)}` };
        break;
      }
      case 1:
      case 4:
        break;
      case 2:
        if (depth + 1 >= MAX_DEPTH) return { reason: 'too-deep', detail: `${f.name}: nesting deeper than ${MAX_DEPTH - 1}` };
        {
          const p = messageProblem(f.value, form, depth + 1);
          if (p !== null) return p;
        }
        break;
      case 3:
        // string_list_pack fails on an empty list (list2string returns -1).
        if (f.value.length === 0) return { reason: 'bad-list', detail: `${f.name}: empty list` };
        for (const e of f.value) {
          const b = badTextByte(e, form, depth, true);
          if (b >= 0) return { reason: 'bad-list', detail: `${f.name}: list element contains byte 0x${b.toString(16)}` };
        }
        break;
      default:
        return { reason: 'bad-value', detail: `unknown field type` };
    }
  }
  return null;
}
