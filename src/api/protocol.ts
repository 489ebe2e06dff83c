// The API's message vocabulary (hb_api.h, hb_api_core.h, ha_msg.h) and the parsed form of a client request.
import { getString, type Message } from '../wire/message.js';

/** Message types. */
export const T_APIREQ = 'hbapi-req';
export const T_APIRESP = 'hbapi-resp';
export const T_APICLISTAT = 'hbapi-clstat';
export const T_QCSTATUS = 'query-cstatus';
export const T_RCSTATUS = 'respond-cstatus';

/** Field names. */
export const F = {
  type: 't',
  subtype: 'subt',
  orig: 'src',
  to: 'dest',
  status: 'st',
  apiReq: 'reqtype',
  apiResult: 'result',
  comment: 'info',
  pid: 'pid',
  uid: 'uid',
  gid: 'gid',
  fromId: 'from_id',
  toId: 'to_id',
  node: 'node',
  nodeType: 'nodetype',
  ifName: 'ifname',
  weight: 'weight',
  site: 'site',
  numNodes: 'numnodes',
  pName: 'pname',
  pValue: 'pvalue',
  resources: 'rsc_hold',
  deadtime: 'deadtime',
  keepalive: 'keepalive',
  logFacility: 'logfacility',
  hbversion: 'hbversion',
  pacemaker: 'pacemaker',
  clientName: 'cn',
  clientStatus: 'cs',
  filterMask: 'fmask',
  signal: 'signal',
  sendQLen: 'sendqlen',
  queryName: 'queryname',
  queryUuid: 'queryuuid',
  clientGen: 'client_gen',
} as const;

/** Request types the 3.0.6 server knows (query_handler_list, plus signon). */
export const API_REQUEST_TYPES = [
  'signon',
  'signoff',
  'setfilter',
  'setsignal',
  'nodelist',
  'nodestatus',
  'nodeweight',
  'nodesite',
  'nodetype',
  'ifstatus',
  'iflist',
  'clientstatus',
  'numnodes',
  'getparm',
  'getrsc',
  'getuuid',
  'getnodename',
  'set_sendqlen',
] as const;
export type ApiRequestType = (typeof API_REQUEST_TYPES)[number];

/** Result codes (`result=`). */
export const API_OK = 'OK';
export const API_FAILURE = 'fail';
export const API_BADREQ = 'badreq';
export const API_MORE = 'ok/more';

/** Message treatments a client filters on (hb_api_core.h). */
export const KEEPIT = 0x01;
export const NOCHANGE = 0x02;
export const DROPIT = 0x04;
export const DUPLICATE = 0x08;
export const APICALL = 0x10;
export const PROTOCOL = 0x20;
export const DEBUGTREATMENTS = DROPIT | DUPLICATE | APICALL | NOCHANGE | PROTOCOL;
export const ALLTREATMENTS = DEBUGTREATMENTS | KEEPIT;
export const DEFAULT_TREATMENT = KEEPIT;

/** Client status words (heartbeat.h, hb_api.h). */
export const ONLINE_STATUS = 'online';
export const OFFLINE_STATUS = 'offline';
export const JOIN_STATUS = 'join';
export const LEAVE_STATUS = 'leave';

/** Node type words (hb_api.h). */
export type NodeType = 'normal' | 'ping' | 'unknown';

/** What a frame from a client is, as far as the envelope goes. */
export type ApiInbound =
  | {
      readonly kind: 'request';
      /** `reqtype`, possibly one the server does not know. */
      readonly reqType: string;
      readonly pid: string | undefined;
      readonly fromId: string | undefined;
      readonly message: Message;
    }
  | { readonly kind: 'request-incomplete'; readonly message: Message }
  | { readonly kind: 'cluster-message'; readonly message: Message }
  | { readonly kind: 'untyped'; readonly message: Message };

/** Sorts a decoded client message (hb_api.c: api_process_request's first checks). */
export function classifyInbound(m: Message): ApiInbound {
  const t = getString(m, F.type);
  if (t === undefined) return { kind: 'untyped', message: m };
  if (t !== T_APIREQ) return { kind: 'cluster-message', message: m };
  const reqType = getString(m, F.apiReq);
  const pid = getString(m, F.pid);
  const fromId = getString(m, F.fromId);
  if (reqType === undefined || (pid === undefined && fromId === undefined)) return { kind: 'request-incomplete', message: m };
  return { kind: 'request', reqType, pid, fromId, message: m };
}

/** C atoi(): leading blanks, optional sign, digits; 0 when there are none. */
export function cAtoi(s: string | undefined): number {
  if (s === undefined) return 0;
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number.parseInt(m[1] ?? '0', 10);
  return Number.isFinite(n) ? Math.max(-2147483648, Math.min(2147483647, n)) : 0;
}

/** C sscanf("%ld") success: a leading (blank-skipped) signed decimal. */
export function cScanLong(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? undefined : Number.parseInt(m[1] ?? '0', 10);
}

/** C sscanf("%x") success. */
export function cScanHex(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX])?([0-9a-fA-F]+)/.exec(s);
  if (m === null) return undefined;
  const v = Number.parseInt(m[2] ?? '0', 16);
  return m[1] === '-' ? (0x100000000 - (v % 0x100000000)) % 0x100000000 : v % 0x100000000;
}

/**
 * heartbeat-ts only: `reqtype=hbts-status` asks for what the Heartbeat API cannot give (last-heard times, the
 * generation, the resource groups and their holders, the config in effect), for `hbctl status`.
 *
 *   request:  t=hbapi-req reqtype=hbts-status dest pid from_id        (any signed-on client, casual included)
 *   reply:    t=hbapi-resp reqtype=hbts-status (1)hbts_status=<base64 of UTF-8 JSON, view.ts ApiExtendedStatus> result=OK
 *
 * The real Heartbeat 3.0.6 does not know the request: it logs "Unknown API request" (and the whole message) and
 * answers `result=badreq`, which the client library reports as "not heartbeat-ts" (no extended status); the
 * library does not even ask when the signon's `hbversion` does not name heartbeat-ts. Casual clients may ask:
 * the answer holds nothing cl_status could not already learn but times, the generation and group names.
 */
export const HBTS_STATUS_REQUEST = 'hbts-status';
export const HBTS_STATUS_FIELD = 'hbts_status';
