// The text fields of a message as (name, value) pairs, in order: what scripts, the resource protocol and the cluster see.
import type { Message } from '../wire/index.js';

/** Every text field (type 0) of `m`, in order, values as Latin-1 (Heartbeat's bytes, unchanged). */
export function textFields(m: Message): [string, string][] {
  const out: [string, string][] = [];
  for (const f of m.fields) if (f.type === 0) out.push([f.name, Buffer.from(f.value).toString('latin1')]);
  return out;
}

/** The first value of field `name` among `fields`. */
export function fieldOf(fields: readonly (readonly [string, string])[], name: string): string | undefined {
  return fields.find(([n]) => n === name)?.[1];
}
