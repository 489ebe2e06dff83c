// Sorting what the daemon delivers into node, link and client status events (client_lib.c CallbackCall).
import { getString, type Message } from '../wire/message.js';
import { F, T_APICLISTAT, T_RCSTATUS } from './protocol.js';
import type { HeartbeatEvent } from './client-types.js';

/** Sorts a delivered message into an event (client_lib.c CallbackCall: node, interface and client status). */
export function toEvent(m: Message): HeartbeatEvent {
  const t = getString(m, F.type);
  const st = getString(m, F.status);
  if ((t === 'status' || t === 'NS_st') && st !== undefined) {
    const node = getString(m, F.orig);
    if (node !== undefined) return { kind: 'node-status', node, status: st, message: m };
  }
  if (t === 'ifstat' && st !== undefined) {
    const node = getString(m, F.node);
    const link = getString(m, F.ifName);
    if (node !== undefined && link !== undefined) return { kind: 'link-status', node, link, status: st, message: m };
  }
  if (t === T_APICLISTAT && st !== undefined) {
    const id = getString(m, F.fromId);
    if (id !== undefined) return { kind: 'client-status', node: getString(m, F.orig), clientId: id, status: st, message: m };
  }
  if (t === T_RCSTATUS) {
    const id = getString(m, F.clientName);
    const cs = getString(m, F.clientStatus);
    if (id !== undefined && cs !== undefined) return { kind: 'client-status', node: getString(m, F.orig), clientId: id, status: cs, message: m };
  }
  return { kind: 'message', type: t, message: m };
}
