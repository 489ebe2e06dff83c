// Building the messages a node originates, with Heartbeat's control fields in Heartbeat's order (spec §2.1–2.3).
import { CONFIG_FIELD } from '../config/config-digest.js';
import { Buffer } from 'node:buffer';
import type { AuthKeys } from '../core/auth-keys.js';
import { binaryField, encodeNetstring, FT_STRING, signMessage, stringField, type Field, type Message } from '../wire/index.js';

export interface Originator {
  readonly name: string;
  readonly uuid: Uint8Array;
  readonly generation: number;
  /** hopfudge + nodecount (ping nodes included), decimal. */
  readonly ttl: number;
  readonly keys: AuthKeys;
}

export interface Outgoing {
  readonly message: Message;
  readonly packet: Uint8Array;
}

const hex = (n: number): string => n.toString(16);

/**
 * Adds the control fields (heartbeat 3.0.6 add_control_msg_fields): `destuuid` when the message has a
 * `dest` (zeros while the peer's UUID is unknown), then src, srcuuid, seq (not for NS_ types), hg, ts,
 * ld (not for NS_ types), ttl — each replacing a field of that name in place, else appended, as ha_msg_mod
 * does; then signs (inner `auth` last, netstring trailer).
 */
export function finish(
  o: Originator,
  base: readonly Field[],
  opts: { readonly seq: number | undefined; readonly wallSec: number; readonly loadavg: string; readonly destUuid?: Uint8Array | undefined },
): Outgoing | null {
  // ha_msg_mod: a control field the message already has (an API client's `src`) keeps its place.
  const fields: Field[] = base.filter((f) => f.name !== 'auth');
  const mod = (f: Field): void => {
    const i = fields.findIndex((x) => x.name === f.name);
    if (i >= 0) fields[i] = f;
    else fields.push(f);
  };
  if (base.some((f) => f.name === 'dest')) mod(binaryField('destuuid', opts.destUuid ?? new Uint8Array(16)));
  mod(shared('src', o.name));
  mod(binaryField('srcuuid', o.uuid));
  if (opts.seq !== undefined) mod(stringField('seq', hex(opts.seq)));
  mod(shared('hg', hex(o.generation)));
  mod(stringField('ts', hex(Math.max(1, Math.floor(opts.wallSec)))));
  if (opts.seq !== undefined) mod(stringField('ld', opts.loadavg));
  mod(shared('ttl', String(o.ttl)));
  const signed = signMessage({ fields }, o.keys);
  if (!signed.ok) return null;
  // Signed once: encodeNetstring would otherwise compute the same inner `auth` again (same fields, same key).
  const packet = encodeNetstring(signed.value, o.keys, { keepInnerAuth: true });
  if (!packet.ok) return null;
  return { message: signed.value, packet: packet.value };
}

/**
 * Text fields that stay the same for the life of a node or of a status (t=status, st, dt, protocol, src, hg,
 * ttl) are built once and shared: a field's value is never modified once made. `ts` and `ld` change every
 * second or so and are built per message. A shared value gets memory of its own: a small `Buffer.from` is cut
 * from an 8 KiB pool slab and keeps the whole slab alive (a soak's survivor held 110 slabs, 0.9 MB, through
 * this table when it also cached every `ts`). Bounded: the table starts over when full.
 */
const SHARED = new Map<string, Field>();
const SHARED_MAX = 64;

function shared(name: string, value: string): Field {
  const k = `${name}=${value}`;
  let field = SHARED.get(k);
  if (field === undefined) {
    if (SHARED.size >= SHARED_MAX) SHARED.clear();
    const own = Buffer.allocUnsafeSlow(Buffer.byteLength(value, 'latin1'));
    own.write(value, 'latin1');
    field = { name, type: FT_STRING, value: own };
    SHARED.set(k, field);
  }
  return field;
}

/** Exported for tests: how many fields the table holds now. */
export function sharedFieldCount(): number {
  return SHARED.size;
}

const f = stringField;

/**
 * heartbeat 3.0.6 send_local_status: t, st, dt (hex ms), protocol (dec); then heartbeat-ts's `hbts_config` when
 * given (config/config-digest.ts: the real Heartbeat ignores a status field it does not know).
 */
export function statusFields(status: string, advertisedDeadtimeMs: number, withProtocol: boolean, configField?: string): Field[] {
  const fields = [shared('t', 'status'), shared('st', status), shared('dt', hex(advertisedDeadtimeMs))];
  if (withProtocol) fields.push(shared('protocol', '1'));
  if (configField !== undefined) fields.push(shared(CONFIG_FIELD, configField));
  return fields;
}

/** heartbeat 3.0.6 send_ack: t, dest, ackseq (hex). */
export function ackFields(dest: string, ackseq: number): Field[] {
  return [f('t', 'NS_ackmsg'), f('dest', dest), f('ackseq', hex(ackseq))];
}

/** hb_rexmit.c send_rexmit_request: firstseq/lastseq are decimal. */
export function rexmitRequestFields(dest: string, seq: number): Field[] {
  return [f('t', 'NS_rexmit'), f('dest', dest), f('firstseq', String(seq)), f('lastseq', String(seq))];
}

/** heartbeat 3.0.6 nak_rexmit: firstseq is hex here, and comes before dest. */
export function nakFields(dest: string, seq: number, info: string): Field[] {
  return [f('t', 'NS_nak_rexmit'), f('firstseq', hex(seq)), f('dest', dest), f('info', info)];
}

export function reqnodesFields(dest: string): Field[] {
  return [f('t', 'reqnodes'), f('dest', dest)];
}

/** HBDoMsg_T_REQNODES: dest precedes t; each list is names followed by one space, `" "` when empty. */
export function repnodesFields(dest: string, nodes: readonly string[], deleted: readonly string[]): Field[] {
  const list = (ns: readonly string[]): string => (ns.length === 0 ? ' ' : ns.map((n) => `${n} `).join(''));
  return [f('dest', dest), f('t', 'repnodes'), f('nodelist', list(nodes)), f('delnodelist', list(deleted))];
}

export function isZeroUuid(u: Uint8Array): boolean {
  return u.every((b) => b === 0);
}

export function uuidEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
