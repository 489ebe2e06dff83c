// What API clients are handed for each thing the membership core does (heartbeat 3.0.6 heartbeat_monitor calls).
/*
 *   core action                         message offered to clients                          treatment
 *   ---------------------------------   -------------------------------------------------   ---------
 *   node-status, peer, st changed       the peer's status message as received               KEEPIT    (HBDoMsg_T_STATUS)
 *   node-status, a ping node answered   t=NS_st st=ping info=ping src=<host> ts             KEEPIT    (ping plugin's NS_st)
 *   node-status, dead                   t=status seq=1 ts src st=dead [info=ping]           KEEPIT    (hb_rsc_recover_dead_resources)
 *   link-status                         t=ifstat node ifname st                             KEEPIT    (change_link_status)
 *   deliver (a peer's message to us)    as received; not query-cstatus (answered here)      KEEPIT    (HBDoMsg_* / default)
 *   send, our own message (loopback)    as sent; to us or to everyone → KEEPIT, else DROPIT           (process_clustermsg(msg, NULL))
 *   send, our own status                as sent                                             NOCHANGE
 *
 * Not offered (Heartbeat offers them to debug clients only): a peer's unchanged status (NOCHANGE), duplicates,
 * messages for other nodes (DROPIT), NS_rexmit (PROTOCOL).
 */
import { DROPIT, KEEPIT, NOCHANGE, T_QCSTATUS, T_RCSTATUS } from '../api/protocol.js';
import type { Action } from '../membership/types.js';
import { deadNotice, linkNotice } from '../resources/rc-notify.js';
import { getString, makeMessage, type Message } from '../wire/message.js';

export interface Delivery {
  readonly message: Message;
  readonly treatment: number;
}

export interface DeliveryContext {
  readonly localNode: string;
  readonly wallSec: number;
  isPingNode(name: string): boolean;
}

const hexTime = (sec: number): string => Math.max(0, Math.floor(sec)).toString(16);

/** The messages (at most one) API clients are offered for one core action. */
export function deliveryFor(a: Action, c: DeliveryContext): Delivery | undefined {
  switch (a.kind) {
    case 'node-status': {
      if (a.node === c.localNode) return undefined; // our own status comes round as a NOCHANGE `send`
      if (a.status === 'dead') return { message: makeMessage(deadNotice(a.node, c.wallSec, c.isPingNode(a.node))), treatment: KEEPIT };
      if (c.isPingNode(a.node)) {
        return { message: makeMessage([['t', 'NS_st'], ['st', a.status], ['info', 'ping'], ['src', a.node], ['ts', hexTime(c.wallSec)]]), treatment: KEEPIT };
      }
      return { message: a.message ?? makeMessage([['t', 'status'], ['st', a.status], ['src', a.node]]), treatment: KEEPIT };
    }
    case 'link-status':
      return { message: makeMessage(linkNotice(a.node, a.medium, a.status)), treatment: KEEPIT };
    case 'deliver':
      if (getString(a.message, 't') === T_QCSTATUS) return undefined;
      return { message: a.message, treatment: KEEPIT };
    case 'send': {
      if (a.reason === 'status') return { message: a.message, treatment: NOCHANGE };
      if (a.reason !== 'message') return undefined;
      const dest = getString(a.message, 'dest');
      return { message: a.message, treatment: dest === undefined || dest === c.localNode ? KEEPIT : DROPIT };
    }
    default:
      return undefined;
  }
}

/**
 * heartbeat 3.0.6 HBDoMsg_T_QCSTATUS: a peer's client asks whether client `cn` runs here. The answer goes back to
 * that node (`dest`), addressed to the asking client (`to_id`). Undefined when the query lacks `cn` or `from_id`.
 */
export function clientStatusAnswer(query: Message, from: string, isOnline: (client: string) => boolean): [string, string][] | undefined {
  const cn = getString(query, 'cn');
  const fromId = getString(query, 'from_id');
  if (cn === undefined || fromId === undefined) return undefined;
  return [['t', T_RCSTATUS], ['dest', from], ['result', 'OK'], ['cn', cn], ['to_id', fromId], ['cs', isOnline(cn) ? 'online' : 'offline']];
}
