// The Heartbeat message model (cluster-glue `struct ha_msg`): an ordered list of typed fields.
import { Buffer } from 'node:buffer';

/** Field type codes (`enum cl_netstring_type`); 5 (FT_UNCOMPRESS) never crosses the wire. */
export const FT_STRING = 0;
export const FT_BINARY = 1;
export const FT_STRUCT = 2;
export const FT_LIST = 3;
export const FT_COMPRESS = 4;
export type FieldType = 0 | 1 | 2 | 3 | 4;

/**
 * One field. Names and string values are bytes: we keep names as latin1 strings (one char per byte) and
 * values as raw bytes, because Heartbeat treats both as C byte strings and we must round-trip them exactly.
 */
export type Field =
  | { readonly name: string; readonly type: 0; readonly value: Uint8Array }
  | { readonly name: string; readonly type: 1; readonly value: Uint8Array }
  | { readonly name: string; readonly type: 2; readonly value: Message }
  | { readonly name: string; readonly type: 3; readonly value: readonly Uint8Array[] }
  | { readonly name: string; readonly type: 4; readonly value: Uint8Array };

/** Fields in wire order. Duplicates are allowed (as in C); lookups return the first (`cl_get_value`). */
export interface Message {
  readonly fields: readonly Field[];
}

/** Heartbeat's MAXMSG (`include/clplumbing/ipc.h`): the largest encoded message it sends or accepts. */
export const MAX_MESSAGE_BYTES = 262144;
/** MAXUNCOMPRESSED (`cl_compress.c`): the largest decompressed payload. */
export const MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024;
/** MAXDEPTH (`include/ha_msg.h`): nesting limit of struct fields. */
export const MAX_DEPTH = 16;
/** MAX_NAME_LEN (`cl_msg.c`): names must be shorter than this. */
export const MAX_NAME_BYTES = 254;

/** A type-0 field; the value is taken as latin1 (one char per byte), like every Heartbeat text field. */
export function stringField(name: string, value: string): Field {
  return { name, type: FT_STRING, value: Buffer.from(value, 'latin1') };
}

/** A type-1 field of raw bytes (e.g. the 16-byte `srcuuid`). */
export function binaryField(name: string, value: Uint8Array): Field {
  return { name, type: FT_BINARY, value };
}

/** A type-2 field holding a nested message. */
export function structField(name: string, value: Message): Field {
  return { name, type: FT_STRUCT, value };
}

/** A type-3 field: a list of strings (each latin1). */
export function listField(name: string, values: readonly string[]): Field {
  return { name, type: FT_LIST, value: values.map((v) => Buffer.from(v, 'latin1')) };
}

/** A message from `[name, value]` pairs (strings) or ready fields, in the given order. */
export function makeMessage(fields: ReadonlyArray<Field | readonly [string, string]>): Message {
  return { fields: fields.map((f) => (isPair(f) ? stringField(f[0], f[1]) : f)) };
}

function isPair(f: Field | readonly [string, string]): f is readonly [string, string] {
  return Array.isArray(f);
}

/** The first field with this name (`cl_get_value` semantics), or undefined. */
export function getField(message: Message, name: string): Field | undefined {
  for (const f of message.fields) if (f.name === name) return f;
  return undefined;
}

/** The value of the first type-0 field with this name, as latin1 text; undefined if absent or not text. */
export function getString(message: Message, name: string): string | undefined {
  const f = getField(message, name);
  return f !== undefined && f.type === FT_STRING ? Buffer.from(f.value.buffer, f.value.byteOffset, f.value.byteLength).toString('latin1') : undefined;
}

/** The bytes of the first type-1 field with this name. */
export function getBinary(message: Message, name: string): Uint8Array | undefined {
  const f = getField(message, name);
  return f !== undefined && f.type === FT_BINARY ? f.value : undefined;
}

/** `ha_msg_mod`: replace the first field of that name in place (keeping its position), else append. */
export function setField(message: Message, field: Field): Message {
  const i = message.fields.findIndex((f) => f.name === field.name);
  if (i < 0) return { fields: [...message.fields, field] };
  const fields = message.fields.slice();
  fields[i] = field;
  return { fields };
}

/** Every field except those with this name. */
export function withoutField(message: Message, name: string): Message {
  return { fields: message.fields.filter((f) => f.name !== name) };
}

/** Deep structural equality (names, types, bytes, order). */
export function messagesEqual(a: Message, b: Message): boolean {
  if (a.fields.length !== b.fields.length) return false;
  for (let i = 0; i < a.fields.length; i++) {
    const x = a.fields[i];
    const y = b.fields[i];
    if (x === undefined || y === undefined || x.name !== y.name || x.type !== y.type) return false;
    if (x.type === FT_STRUCT) {
      if (!messagesEqual(x.value, (y as typeof x).value)) return false;
    } else if (x.type === FT_LIST) {
      const yl = (y as typeof x).value;
      if (x.value.length !== yl.length) return false;
      for (let j = 0; j < yl.length; j++) if (!bytesEqual(x.value[j] as Uint8Array, yl[j] as Uint8Array)) return false;
    } else if (!bytesEqual(x.value, (y as typeof x).value)) return false;
  }
  return true;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
