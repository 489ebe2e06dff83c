// Pure API request handling (hb_api.c): one client connection's session, a request in, replies and effects out.
/*
 *   session phases                       (heartbeat 3.0.6: client_proc_t, pid == 0 until signon)
 *
 *     registering --signon ok--------> signed-on --signoff / badclient--> closed
 *         |  \--signon refused (reply sent)------------------------------> closed
 *         \--anything else: "bad message", ignored, still registering
 *
 * The handler never touches sockets: it returns actions (reply, cluster-send, log, close) that the server
 * carries out in order. Replies follow the C code field for field, in the same order, because the client
 * library and cl_status read them positionally in places (nodelist/iflist: one reply per entry).
 */
import { Buffer } from 'node:buffer';
import type { LogLevel } from '../core/log-level.js';
import { binaryField, getBinary, getString, makeMessage, stringField, type Field, type Message } from '../wire/message.js';
import {
  ALLTREATMENTS,
  API_BADREQ,
  API_MORE,
  API_OK,
  DEBUGTREATMENTS,
  DEFAULT_TREATMENT,
  F,
  JOIN_STATUS,
  OFFLINE_STATUS,
  ONLINE_STATUS,
  T_APICLISTAT,
  T_APIREQ,
  T_APIRESP,
  T_QCSTATUS,
  T_RCSTATUS,
  HBTS_STATUS_FIELD,
  HBTS_STATUS_REQUEST,
  cAtoi,
  cScanHex,
  cScanLong,
  classifyInbound,
} from './protocol.js';
import type { ApiNode, ApiView } from './view.js';

export interface ApiClientRecord {
  readonly pid: number;
  /** from_id, or the pid in decimal for a client that gave none. */
  readonly clientId: string;
  /** Casual: no from_id, or one equal to its pid (cl_status). Casual clients cannot send cluster messages. */
  readonly casual: boolean;
  readonly uid: number;
  readonly gid: number;
  readonly filterMask: number;
  readonly signal: number;
  /** client_gen: the daemon-wide signon counter value at this client's signon. */
  readonly generation: number;
}

export type ApiSession =
  | { readonly phase: 'registering' }
  | { readonly phase: 'signed-on'; readonly client: ApiClientRecord }
  | { readonly phase: 'closed'; readonly reason: string };

export const NEW_SESSION: ApiSession = { phase: 'registering' };


export type ApiAction =
  | { readonly kind: 'reply'; readonly message: Message }
  /** A message for the cluster (query-cstatus, hbapi-clstat, a named client's own message): the daemon sends it. */
  | { readonly kind: 'cluster-send'; readonly message: Message }
  | { readonly kind: 'log'; readonly level: LogLevel; readonly text: string; readonly problem?: 'refused-signon' }
  /** Drop the connection after the preceding actions; `reason` is Heartbeat's removereason. */
  | { readonly kind: 'close'; readonly reason: string };

/** Kernel-reported credentials of the peer (SO_PEERCRED), when the server could learn them. */
export interface ApiPeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

export interface ApiContext {
  readonly view: ApiView;
  /** find_client: the signed-on client (on any connection) with this client id or this pid. */
  findClient(id: string | undefined, pid: number | undefined): ApiClientRecord | undefined;
  /** kill(pid, 0) succeeds (or fails with EPERM): the process exists. */
  pidAlive(pid: number): boolean;
  /** The connection's peer credentials; undefined when unknown (then the uid/gid/pid claims are taken on trust). */
  readonly peer: ApiPeerCredentials | undefined;
  /** Set when the server tried and failed to read the peer credentials: the signon is refused (fail closed). */
  readonly peerError?: string;
  /** The daemon's own uid (setfilter's debug bits are allowed to root and to it). */
  readonly daemonUid: number;
  /** client_gen for a signon now (the server advances its counter on every signon attempt). */
  readonly clientGeneration: number;
  /** apiauth check; returns Heartbeat's removereason when refused. Absent: everyone is allowed. */
  authorize?(client: ApiClientRecord): string | undefined;
}

export interface ApiStep {
  readonly session: ApiSession;
  readonly actions: readonly ApiAction[];
  /** True when this message was a signon attempt (the server advances client_gen, as the C code does). */
  readonly usedClientGeneration: boolean;
}

const str = (name: string, value: string): Field => stringField(name, value);

function response(reqType: string): Field[] {
  return [str(F.type, T_APIRESP), str(F.apiReq, reqType)];
}

/** ha_msg_mod: replace the first field of that name in place, or append. */
function mod(fields: Field[], f: Field): void {
  const i = fields.findIndex((x) => x.name === f.name);
  if (i >= 0) fields[i] = f;
  else fields.push(f);
}

function lookupNode(view: ApiView, name: string | undefined): ApiNode | undefined {
  if (name === undefined) return undefined;
  const lower = name.replace(/[A-Z]/g, (c) => c.toLowerCase()); // inplace_ascii_strdown
  return view.nodes().find((n) => n.name === lower);
}

/** Handles one decoded message from the client on this session. */
export function handleApiMessage(session: ApiSession, m: Message, ctx: ApiContext): ApiStep {
  switch (session.phase) {
    case 'closed':
      return { session, actions: [], usedClientGeneration: false };
    case 'registering':
      return register(m, ctx);
    case 'signed-on': {
      const holder = { client: session.client };
      const actions = request(holder, m, ctx);
      const close = actions.find((a): a is Extract<ApiAction, { kind: 'close' }> => a.kind === 'close');
      const next: ApiSession = close !== undefined ? { phase: 'closed', reason: close.reason } : { phase: 'signed-on', client: holder.client };
      return { session: next, actions, usedClientGeneration: false };
    }
  }
}

/* ------------------------------------------------------------------ signon */

// heartbeat 3.0.6: api_process_registration_msg + api_add_client
function register(m: Message, ctx: ApiContext): ApiStep {
  const registering: ApiSession = { phase: 'registering' };
  const t = getString(m, F.type);
  const reqType = getString(m, F.apiReq);
  if (t !== T_APIREQ || reqType !== 'signon') {
    return { session: registering, actions: [log('err', `api_process_registration_msg: bad message (t=${t ?? '-'} reqtype=${reqType ?? '-'})`)], usedClientGeneration: true };
  }
  const fromId = getString(m, F.fromId);
  const cpid = getString(m, F.pid);
  if (fromId === undefined && cpid === undefined) {
    return { session: registering, actions: [log('err', 'api_process_registration_msg: no fromid in msg')], usedClientGeneration: true };
  }
  const pid = cAtoi(cpid);
  const actions: ApiAction[] = [];
  const refuse = (reason: string, text: string): ApiStep => {
    actions.push({ kind: 'log', level: 'warn', text, problem: 'refused-signon' });
    const fields = response('signon');
    fields.push(str(F.comment, reason), str(F.apiResult, API_BADREQ));
    fields.push(...signonTail(ctx));
    actions.push({ kind: 'reply', message: { fields } }, { kind: 'close', reason });
    return { session: { phase: 'closed', reason }, actions, usedClientGeneration: true };
  };

  if (pid <= 0 || !ctx.pidAlive(pid)) return refuse('bad pid', `api_add_client: bad pid [${pid}]`);
  if (fromId !== undefined && ctx.findClient(fromId, undefined) !== undefined) {
    return refuse('duplicate add request', `duplicate client add request [${fromId}] [${cpid ?? '(nullcpid)'}]`);
  }
  const clientId = fromId ?? String(pid);
  const casual = fromId === undefined || cAtoi(fromId) === pid;
  const uid = cScanLong(getString(m, F.uid));
  const gid = cScanLong(getString(m, F.gid));
  if (uid === undefined || gid === undefined) {
    return refuse('invalid id info', `Client user/group id is incorrect [${getString(m, F.uid) ?? '<null>'}] [${getString(m, F.gid) ?? '<null>'}]`);
  }
  // api_check_client_credentials: the claimed uid and gid must be the socket's (SO_PEERCRED).
  if (ctx.peerError !== undefined) {
    return refuse('incorrect/false credentials', `api: client pid ${pid} refused: its credentials could not be verified (${ctx.peerError})`);
  }
  if (ctx.peer !== undefined && (ctx.peer.uid !== uid || ctx.peer.gid !== gid)) {
    return refuse('incorrect/false credentials', `api: client pid ${pid} claims uid ${uid} gid ${gid}, socket says uid ${ctx.peer.uid} gid ${ctx.peer.gid}`);
  }
  const client: ApiClientRecord = { pid, clientId, casual, uid, gid, filterMask: DEFAULT_TREATMENT, signal: 0, generation: ctx.clientGeneration };
  const denied = ctx.authorize?.(client);
  if (denied !== undefined) return refuse(denied, `Client [${clientId}] pid ${pid} failed authorization [${denied}]`);
  // api_check_client_authorization: the farside pid must be the claimed one.
  if (ctx.peer !== undefined && ctx.peer.pid > 0 && ctx.peer.pid !== pid) {
    return refuse('pid mismatch', `PID mismatch: ${pid} vs farside_pid: ${ctx.peer.pid}`);
  }
  if (!casual) actions.push({ kind: 'cluster-send', message: clientStatusMessage(client, JOIN_STATUS, 'signon', ctx.view.localNode) });
  const fields = response('signon');
  fields.push(str(F.apiResult, API_OK), ...signonTail(ctx));
  actions.push(log('debug', `Signing on API client ${pid} (${casual ? "'casual'" : clientId})`), { kind: 'reply', message: { fields } });
  return { session: { phase: 'signed-on', client }, actions, usedClientGeneration: true };
}

function signonTail(ctx: ApiContext): Field[] {
  const s = ctx.view.signonInfo();
  return [
    str(F.deadtime, Math.trunc(s.deadtimeMs).toString(16)),
    str(F.keepalive, Math.trunc(s.keepaliveMs).toString(16)),
    str(F.node, ctx.view.localNode),
    str(F.hbversion, s.hbversion),
    str(F.pacemaker, s.pacemaker),
    str(F.logFacility, String(s.logFacility)),
  ];
}

/** hbapi-clstat as api_send_client_status builds it (join on signon, leave on removal; named clients only). */
export function clientStatusMessage(client: ApiClientRecord, status: string, reason: string | undefined, localNode: string): Message {
  const fields: Field[] = [
    str(F.type, T_APICLISTAT),
    str(F.status, status),
    str(F.fromId, client.clientId),
    str(F.toId, client.clientId),
    str(F.orig, localNode),
  ];
  if (reason !== undefined) fields.push(str(F.comment, reason));
  fields.push(str(F.clientGen, String(client.generation)));
  return { fields };
}

/* ------------------------------------------------------------------ requests */

type Handled =
  | { readonly kind: 'ret'; readonly fields: Field[] }
  | { readonly kind: 'ign' }
  | { readonly kind: 'badreq'; readonly fields: Field[]; readonly reason: string | undefined };

// heartbeat 3.0.6: api_process_request
function request(holder: { client: ApiClientRecord }, m: Message, ctx: ApiContext): ApiAction[] {
  const client = holder.client;
  const inbound = classifyInbound(m);
  switch (inbound.kind) {
    case 'untyped':
      return [log('err', 'api_process_request: bad message type')];
    case 'cluster-message': {
      if (client.casual) return [log('info', 'api_process_request: general message from casual client!'), { kind: 'close', reason: 'badclient' }];
      const fields = [...m.fields];
      mod(fields, str(F.fromId, client.clientId));
      mod(fields, str(F.toId, client.clientId));
      mod(fields, str(F.clientGen, String(client.generation)));
      return [{ kind: 'cluster-send', message: { fields } }];
    }
    case 'request-incomplete':
      return [log('err', 'api_process_request: no fromid/pid/reqtype in message.')];
    case 'request':
      break;
  }
  const { reqType, fromId, pid } = inbound;
  const owner = ctx.findClient(fromId, pid === undefined ? undefined : cAtoi(pid));
  const sameClient = owner !== undefined && owner.pid === client.pid && owner.clientId === client.clientId;
  const viaSelf = (fromId !== undefined && fromId === client.clientId) || (pid !== undefined && cAtoi(pid) === client.pid);
  if (!sameClient && !(owner === undefined && viaSelf)) {
    return [log('err', owner === undefined ? 'api_process_request: msg from non-client' : 'Client mismatch! (impersonation?)')];
  }
  const fields = response(reqType);
  const actions: ApiAction[] = [];
  const h = dispatch(reqType, m, fields, holder, ctx, actions);
  if (h === undefined) {
    actions.push(log('err', `Unknown API request [${reqType}]`));
    actions.push({ kind: 'reply', message: { fields: [...fields, str(F.apiResult, API_BADREQ)] } });
    return actions;
  }
  switch (h.kind) {
    case 'ign':
      break;
    case 'ret':
      mod(h.fields, str(F.apiResult, API_OK));
      actions.push({ kind: 'reply', message: { fields: h.fields } });
      break;
    case 'badreq': {
      actions.push(log('err', `api_process_request: bad request [${reqType}]`));
      const out = [...h.fields, str(F.apiResult, API_BADREQ)];
      if (h.reason !== undefined) out.push(str(F.comment, h.reason));
      actions.push({ kind: 'reply', message: { fields: out } });
      break;
    }
  }
  return actions;
}

function dispatch(reqType: string, m: Message, fields: Field[], holder: { client: ApiClientRecord }, ctx: ApiContext, actions: ApiAction[]): Handled | undefined {
  const client = holder.client;
  const view = ctx.view;
  const ret: Handled = { kind: 'ret', fields };
  const bad = (reason: string | undefined): Handled => ({ kind: 'badreq', fields, reason });
  switch (reqType) {
    case 'signoff':
      actions.push({ kind: 'close', reason: 'signoff' });
      return { kind: 'ign' };
    case 'setfilter': {
      const mask = cScanHex(getString(m, F.filterMask));
      if (mask === undefined || (mask & ALLTREATMENTS) === 0) return bad('EINVAL');
      if ((client.filterMask & DEBUGTREATMENTS) === 0 && (mask & DEBUGTREATMENTS) !== 0 && client.uid !== 0 && client.uid !== ctx.daemonUid) return bad('EPERM');
      actions.push({ kind: 'log', level: 'debug', text: `api: client ${client.clientId} filter mask 0x${mask.toString(16)}` });
      holder.client = { ...client, filterMask: mask };
      return ret;
    }
    case 'setsignal': {
      const sig = cScanLong(getString(m, F.signal));
      if (sig === undefined) return bad(undefined);
      if (sig < 0 || sig === 9 || sig === 19 || sig >= 32) return bad('EINVAL');
      holder.client = { ...client, signal: sig };
      return ret;
    }
    case 'nodelist': {
      const nodes = view.nodes();
      nodes.forEach((n, j) => {
        mod(fields, str(F.node, n.name));
        mod(fields, str(F.nodeType, n.type));
        mod(fields, str(F.status, n.status));
        mod(fields, str(F.apiResult, j === nodes.length - 1 ? API_OK : API_MORE));
        actions.push({ kind: 'reply', message: { fields: [...fields] } });
      });
      return { kind: 'ign' };
    }
    case 'nodestatus':
    case 'nodeweight':
    case 'nodesite':
    case 'nodetype': {
      const n = lookupNode(view, getString(m, F.node));
      if (n === undefined) return bad('EINVAL');
      if (reqType === 'nodestatus') mod(fields, str(F.status, n.status));
      else if (reqType === 'nodeweight') fields.push(str(F.weight, String(n.weight)));
      else if (reqType === 'nodesite') fields.push(str(F.site, n.site));
      else mod(fields, str(F.nodeType, n.type));
      return ret;
    }
    case 'iflist': {
      const n = lookupNode(view, getString(m, F.node));
      if (n === undefined) return bad('EINVAL');
      if (n.type === 'ping') {
        // api_ping_iflist: the one link named after the node itself
        const l = n.links.find((x) => x.name === n.name);
        if (l === undefined) return bad('UhOh');
        mod(fields, str(F.ifName, l.name));
        mod(fields, str(F.status, l.status));
        return ret;
      }
      // 3.0.6 sends nothing at all for a node without links (the client then waits for its alarm); we refuse.
      if (n.links.length === 0) return bad('EINVAL');
      n.links.forEach((l, j) => {
        mod(fields, str(F.ifName, l.name));
        mod(fields, str(F.status, l.status));
        mod(fields, str(F.apiResult, j === n.links.length - 1 ? API_OK : API_MORE));
        actions.push({ kind: 'reply', message: { fields: [...fields] } });
      });
      return { kind: 'ign' };
    }
    case 'ifstatus': {
      const n = lookupNode(view, getString(m, F.node));
      const ifName = getString(m, F.ifName);
      const l = n === undefined || ifName === undefined ? undefined : n.links.find((x) => x.name === ifName);
      if (l === undefined) return bad('EINVAL');
      mod(fields, str(F.status, l.status));
      return ret;
    }
    case 'clientstatus': {
      const cnode = getString(m, F.node);
      const cname = getString(m, F.clientName);
      const ourId = getString(m, F.fromId);
      const n = lookupNode(view, cnode);
      if (cnode === undefined || cname === undefined || ourId === undefined || n === undefined) return bad('EINVAL');
      fields.push(str(F.subtype, T_RCSTATUS));
      if (cnode === view.localNode) {
        fields.push(str(F.clientStatus, ctx.findClient(cname, undefined) !== undefined ? ONLINE_STATUS : OFFLINE_STATUS));
        return ret;
      }
      if (n.status !== 'active') {
        fields.push(str(F.clientStatus, OFFLINE_STATUS));
        return ret;
      }
      // The answer comes back from that node as t=respond-cstatus … to_id=<ourId>, delivered asynchronously.
      actions.push({ kind: 'cluster-send', message: makeMessage([[F.type, T_QCSTATUS], [F.to, cnode], [F.clientName, cname], [F.fromId, ourId]]) });
      return { kind: 'ign' };
    }
    case 'numnodes':
      fields.push(str(F.numNodes, String(view.nodes().filter((n) => n.type === 'normal').length)));
      return ret;
    case 'getparm': {
      let pname = getString(m, F.pName);
      if (pname === undefined) return bad('EINVAL');
      if (pname === 'crm') pname = 'pacemaker'; // "crm" is the deprecated alias
      const v = view.parameter(pname);
      if (v !== undefined) mod(fields, str(F.pValue, v));
      return ret;
    }
    case 'getrsc': {
      const r = view.resourceState();
      if (r === undefined) return bad('Resource is managed by crm. Use crm tool to query resource');
      mod(fields, str(F.resources, r));
      return ret;
    }
    case 'getuuid': {
      const q = getString(m, F.queryName);
      if (q === undefined) return bad('no query node name found');
      const uuid = lookupNode(view, q)?.uuid;
      if (uuid !== undefined) mod(fields, binaryField(F.queryUuid, uuid));
      return ret;
    }
    case 'getnodename': {
      const u = getBinary(m, F.queryUuid);
      if (u === undefined || u.length !== 16) return bad('no query node name found');
      const n = view.nodes().find((x) => x.uuid !== undefined && Buffer.compare(Buffer.from(x.uuid), Buffer.from(u)) === 0);
      if (n === undefined) actions.push(log('err', 'api_get_nodename: nodename not found in map table'));
      else mod(fields, str(F.queryName, n.name));
      return ret;
    }
    case HBTS_STATUS_REQUEST: {
      // heartbeat-ts only (protocol.ts): a daemon view without it answers like the real Heartbeat, badreq.
      if (view.extendedStatus === undefined) return undefined;
      fields.push(binaryField(HBTS_STATUS_FIELD, Buffer.from(JSON.stringify(view.extendedStatus()), 'utf8')));
      return ret;
    }
    case 'set_sendqlen': {
      const len = cScanLong(getString(m, F.sendQLen));
      if (len === undefined || len <= 0) actions.push(log('err', `api_set_sendqlen: invalid length value(${len ?? '?'})`));
      else actions.push(log('info', `the send queue length from heartbeat to client ${client.clientId} is set to ${len}`));
      return { kind: 'ign' };
    }
    default:
      return undefined;
  }
}

function log(level: LogLevel, text: string): ApiAction {
  return { kind: 'log', level, text };
}
