// Client side of Heartbeat's API socket (lib/hbclient/client_lib.c): signon, every request, cluster messages, events.
/*
 * One connection, one signed-on client. Requests go out one at a time (the protocol has no request ids: a reply
 * is the next `t=hbapi-resp` for that reqtype), each with a timeout; whatever else arrives — node, link and
 * client status changes, other nodes' messages — is handed to the event listeners. Events that arrive before
 * the first listener is attached are held (up to MAX_HELD_EVENTS), as the C library queues them.
 *
 *   const hb = await HeartbeatClient.connect({ clientId: 'ipfail' });   // hb.signonInfo: deadtimeMs, localNode, …   // or {} for a casual client
 *   const nodes = await hb.nodes();                                     // ha.cf order, as the server sends them
 *   hb.onEvent((e) => { if (e.kind === 'node-status') … });
 *   await hb.sendNodeMessage('bravo', [['t', 'num_ping_nodes'], ['num_ping', '1']]);
 *   await hb.signoff();
 *
 * The framing and message codec are framing.ts's and wire/classic.ts's; nothing is re-implemented here.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getBinary, getString, makeMessage, stringField, type Field, type Message } from '../wire/message.js';
import { ApiFrameSplitter, decodeApiBody, encodeApiMessage } from './framing.js';
import { API_MORE, API_OK, F, T_APICLISTAT, T_APIREQ, T_APIRESP, T_RCSTATUS, HBTS_STATUS_FIELD, HBTS_STATUS_REQUEST } from './protocol.js';
import type { ApiExtendedStatus } from './view.js';

/** Heartbeat's run directory (API_REGSOCK is `<run-dir>/register`). */
export const DEFAULT_RUN_DIR = '/var/run/heartbeat';
export const REGISTER_SOCKET_NAME = 'register';
/** Per request, unless ConnectOptions.timeoutMs says otherwise (cl_status gives up after 5 s in all). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** cl_status's default wait for a `clientstatus` answer. */
export const DEFAULT_CLIENT_STATUS_TIMEOUT_MS = 500;
const MAX_HELD_EVENTS = 1000;

export type HeartbeatClientErrorCode =
  /** No socket, or nobody listening on it. */
  | 'not-running'
  /** The socket exists but this user may not open it. */
  | 'permission-denied'
  /** The daemon answered signon with a refusal (`reason` holds its `info`, e.g. "incorrect/false credentials"). */
  | 'refused'
  /** The daemon did not answer in time. */
  | 'timeout'
  /** The connection ended (daemon stopped, or it dropped us). */
  | 'closed'
  /** The daemon answered `result=badreq`/`fail` (`reason` holds its `info`, e.g. "EINVAL"), or the request is not allowed. */
  | 'bad-request'
  /** The daemon's answer lacked what the protocol requires. */
  | 'protocol';

export class HeartbeatClientError extends Error {
  override readonly name = 'HeartbeatClientError';
  constructor(
    readonly code: HeartbeatClientErrorCode,
    message: string,
    /** The daemon's `info` field, when it gave one. */
    readonly reason?: string,
    /** The reply (signon refusal, badreq) that caused this error, if any. */
    readonly reply?: Message,
  ) {
    super(message);
  }
}

export interface ConnectOptions {
  /** Directory holding the `register` socket; default /var/run/heartbeat. */
  readonly runDir?: string;
  /** The socket itself; overrides runDir. */
  readonly socketPath?: string;
  /** A named client (`ipfail`); absent: a casual client whose id is its pid (like cl_status). */
  readonly clientId?: string;
  /** Per-request timeout, signon included. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Claimed pid, uid, gid (default: this process's pid, euid, egid). Only tests should change them. */
  readonly pid?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** What the signon reply says. */
export interface SignonInfo {
  /** The daemon's node name (`node`); requests carry it as `dest`. */
  readonly localNode: string;
  readonly deadtimeMs: number;
  readonly keepaliveMs: number;
  /** syslog facility number, or -1 when absent. */
  readonly logFacility: number;
  /** e.g. `3.0.6 (node: 958e…)`; undefined from servers older than 3.0.6. */
  readonly hbversion: string | undefined;
  /** e.g. `off`; undefined from servers older than 3.0.6. */
  readonly pacemaker: string | undefined;
}

export interface NodeEntry {
  readonly name: string;
  /** `normal`, `ping`, … (3.0.6 servers send it with the node list). */
  readonly type: string | undefined;
  /** `active`, `dead`, `ping`, `up`, `init`, … */
  readonly status: string | undefined;
}

export interface LinkEntry {
  readonly name: string;
  /** `up` or `dead`. */
  readonly status: string | undefined;
}

/** Something the daemon delivered that was not a reply (api_heartbeat_monitor). Every kind keeps the whole message. */
export type HeartbeatEvent =
  /** `t=status` / `t=NS_st`: a node's status (also a ping node answering: status `ping`). */
  | { readonly kind: 'node-status'; readonly node: string; readonly status: string; readonly message: Message }
  /** `t=ifstat`: a link to a node went up or dead. */
  | { readonly kind: 'link-status'; readonly node: string; readonly link: string; readonly status: string; readonly message: Message }
  /** `t=hbapi-clstat` (join/leave of a named client) or `t=respond-cstatus` (online/offline answer). */
  | { readonly kind: 'client-status'; readonly node: string | undefined; readonly clientId: string; readonly status: string; readonly message: Message }
  /** Anything else: other clients' messages (`num_ping_nodes`, …), `resource`, `ask_resources`, … */
  | { readonly kind: 'message'; readonly type: string | undefined; readonly message: Message };

/** Fields for a cluster message: ready fields, or [name, value] string pairs. */
export type MessageFields = Message | ReadonlyArray<Field | readonly [string, string]>;

interface Pending {
  readonly reqType: string;
  /** Takes a message meant for this request; returns true when the request is complete. */
  accept(m: Message): 'take' | 'done' | 'skip';
  readonly resolve: () => void;
  readonly reject: (e: HeartbeatClientError) => void;
}

export class HeartbeatClient {
  private readonly splitter = new ApiFrameSplitter();
  private pending: Pending | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(e: HeartbeatEvent) => void>();
  private readonly closeListeners = new Set<(why: HeartbeatClientError) => void>();
  private held: HeartbeatEvent[] = [];
  private closedWith: HeartbeatClientError | undefined;
  private signedOn = false;
  private info: SignonInfo | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly socketPath: string,
    /** Our client id: the name given, or our pid for a casual client. */
    readonly clientId: string,
    readonly casual: boolean,
    private readonly pid: number,
    private readonly timeoutMs: number,
    private dest: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => this.closeWith(new HeartbeatClientError('closed', `heartbeat at ${socketPath} closed the connection`)));
  }

  /** The socket path for a run directory (ConnectOptions.runDir). */
  static socketPathFor(opts: Pick<ConnectOptions, 'runDir' | 'socketPath'> = {}): string {
    return opts.socketPath ?? path.join(opts.runDir ?? DEFAULT_RUN_DIR, REGISTER_SOCKET_NAME);
  }

  /** Connects and signs on. Rejects with a HeartbeatClientError ('not-running', 'permission-denied', 'refused', 'timeout', …). */
  static async connect(opts: ConnectOptions = {}): Promise<HeartbeatClient> {
    const socketPath = HeartbeatClient.socketPathFor(opts);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const socket = await openSocket(socketPath, timeoutMs);
    const pid = opts.pid ?? process.pid;
    const clientId = opts.clientId ?? String(pid);
    // hb_api_signon: dest is uname's nodename, lower-cased, until the reply names the node.
    const c = new HeartbeatClient(socket, socketPath, clientId, opts.clientId === undefined, pid, timeoutMs, os.hostname().toLowerCase());
    try {
      await c.doSignon(opts.uid ?? process.geteuid?.() ?? 0, opts.gid ?? process.getegid?.() ?? 0);
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return c;
  }

  /** The signon reply's values. */
  get signonInfo(): SignonInfo {
    if (this.info === undefined) throw new HeartbeatClientError('closed', 'not signed on');
    return this.info;
  }

  /** True until signoff, close, or the daemon dropping us. */
  get connected(): boolean {
    return this.signedOn && this.closedWith === undefined;
  }

  /* ------------------------------------------------------------ events */

  /** Adds a listener for delivered messages; returns its remover. Held events are replayed to the first listener. */
  onEvent(listener: (e: HeartbeatEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.held.length > 0) {
      const held = this.held;
      this.held = [];
      for (const e of held) this.emit(e);
    }
    return () => this.listeners.delete(listener);
  }

  /** Called once when the connection ends (signoff included). */
  onClose(listener: (why: HeartbeatClientError) => void): () => void {
    if (this.closedWith !== undefined) {
      const why = this.closedWith;
      queueMicrotask(() => listener(why));
    } else this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Delivered messages as an async iterator; ends when the connection does. */
  async *events(): AsyncGenerator<HeartbeatEvent, void, undefined> {
    const queue: HeartbeatEvent[] = [];
    let wake: (() => void) | undefined;
    let ended = this.closedWith !== undefined;
    const off = this.onEvent((e) => {
      queue.push(e);
      wake?.();
    });
    const offClose = this.onClose(() => {
      ended = true;
      wake?.();
    });
    try {
      for (;;) {
        const e = queue.shift();
        if (e !== undefined) {
          yield e;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      off();
      offClose();
    }
  }

  /* ------------------------------------------------------------ requests */

  /** `nodelist`: every node (normal and ping) in the server's order (ha.cf order). cl_status prints them reversed. */
  async nodes(): Promise<NodeEntry[]> {
    const replies = await this.multi('nodelist', [], F.node);
    return replies.map((m) => ({ name: getString(m, F.node) ?? '', type: getString(m, F.nodeType), status: getString(m, F.status) }));
  }

  /** `nodestatus`. Unknown node: 'bad-request' (reason EINVAL). */
  async nodeStatus(node: string): Promise<string> {
    return this.value('nodestatus', [[F.node, node]], F.status);
  }

  /** `nodetype`: `normal`, `ping`, … */
  async nodeType(node: string): Promise<string> {
    return this.value('nodetype', [[F.node, node]], F.nodeType);
  }

  /** `nodeweight` (C atoi of the reply). */
  async nodeWeight(node: string): Promise<number> {
    return atoi(await this.value('nodeweight', [[F.node, node]], F.weight));
  }

  /** `nodesite` (empty when unset). */
  async nodeSite(node: string): Promise<string> {
    return this.value('nodesite', [[F.node, node]], F.site);
  }

  /** `numnodes`: the number of normal nodes. */
  async numNodes(): Promise<number> {
    return atoi(await this.value('numnodes', [], F.numNodes));
  }

  /** `iflist`: a node's heartbeat links in the server's order (a ping node has one, named after itself). */
  async links(node: string): Promise<LinkEntry[]> {
    const replies = await this.multi('iflist', [[F.node, node]], F.ifName);
    return replies.map((m) => ({ name: getString(m, F.ifName) ?? '', status: getString(m, F.status) }));
  }

  /** `ifstatus`: `up` or `dead`. */
  async linkStatus(node: string, link: string): Promise<string> {
    return this.value('ifstatus', [[F.node, node], [F.ifName, link]], F.status);
  }

  /**
   * `clientstatus`: whether client `clientId` runs on `node` (`online`/`offline`, or `join`/`leave`). For a remote
   * active node the answer comes from that node; no answer within `timeoutMs` (default 500, as cl_status) is a
   * 'timeout' error. An unknown node is a 'bad-request' at once (the C library waits out the timeout instead).
   */
  async clientStatus(node: string, clientId: string, timeoutMs: number = DEFAULT_CLIENT_STATUS_TIMEOUT_MS): Promise<string> {
    let answer: Message | undefined;
    let refusal: Message | undefined;
    await this.request(
      'clientstatus',
      [[F.node, node], [F.clientName, clientId]],
      (m) => {
        const t = getString(m, F.type);
        if (t === T_RCSTATUS || getString(m, F.subtype) === T_RCSTATUS) {
          answer = m;
          return 'done';
        }
        if (t === T_APIRESP && getString(m, F.apiReq) === 'clientstatus') {
          refusal = m;
          return 'done';
        }
        return 'skip';
      },
      timeoutMs,
    );
    if (answer === undefined) throw badRequest('clientstatus', refusal);
    const cs = getString(answer, F.clientStatus);
    if (getString(answer, F.apiResult) !== API_OK || cs === undefined) throw badRequest('clientstatus', answer);
    return cs;
  }

  /** `getrsc`: `none`, `local`, `foreign`, `all` or `transition`. 'bad-request' when resources are not managed (crm on). */
  async resourceState(): Promise<string> {
    return this.value('getrsc', [], F.resources);
  }

  /** `getparm`: a parameter's ha.cf value (`crm` is `pacemaker`), undefined when unset. */
  async parameter(name: string): Promise<string | undefined> {
    const [r] = await this.single('getparm', [[F.pName, name]]);
    return r === undefined ? undefined : getString(r, F.pValue);
  }

  /** `getuuid`: a node's 16-byte UUID, undefined when unknown. */
  async nodeUuid(node: string): Promise<Uint8Array | undefined> {
    const [r] = await this.single('getuuid', [[F.queryName, node]]);
    return r === undefined ? undefined : getBinary(r, F.queryUuid);
  }

  /** `setfilter`: which treatments (protocol.ts KEEPIT, NOCHANGE, …) we are offered; default KEEPIT. */
  async setFilter(mask: number): Promise<void> {
    await this.single('setfilter', [[F.filterMask, (mask >>> 0).toString(16)]]);
  }

  /** `setsignal`: the signal the daemon sends us after each delivered message (0: none). */
  async setSignal(signal: number): Promise<void> {
    await this.single('setsignal', [[F.signal, String(Math.trunc(signal))]]);
  }

  /**
   * heartbeat-ts only (`reqtype=hbts-status`, see protocol.ts): last-heard times, generation, resource groups and
   * the config in effect. Undefined when the daemon is the real Heartbeat (its signon's hbversion does not name
   * heartbeat-ts; asked anyway, it would answer badreq).
   */
  async extendedStatus(): Promise<ApiExtendedStatus | undefined> {
    // Not asked of a daemon whose signon names another implementation: Heartbeat 3.0.6 would log the unknown
    // request as an error (with the whole message) on every `hbctl status`.
    if (!(this.info?.hbversion ?? '').includes('heartbeat-ts')) return undefined;
    let replies: Message[];
    try {
      replies = await this.single(HBTS_STATUS_REQUEST, []);
    } catch (e) {
      if (e instanceof HeartbeatClientError && e.code === 'bad-request') return undefined;
      throw e;
    }
    const raw = replies[0] === undefined ? undefined : getBinary(replies[0], HBTS_STATUS_FIELD);
    if (raw === undefined) throw new HeartbeatClientError('protocol', `${HBTS_STATUS_REQUEST} reply has no ${HBTS_STATUS_FIELD} field`);
    try {
      return JSON.parse(Buffer.from(raw).toString('utf8')) as ApiExtendedStatus;
    } catch (e) {
      throw new HeartbeatClientError('protocol', `${HBTS_STATUS_REQUEST} reply: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /* ------------------------------------------------------------ cluster messages */

  /**
   * sendclustermsg: a message to every node (named clients only). The daemon adds from_id/to_id = our client id,
   * so it reaches the client of the same name on each node.
   */
  async sendClusterMessage(fields: MessageFields): Promise<void> {
    await this.sendRaw(this.clusterMessage(fields));
  }

  /** sendnodemsg: the same, to one node (`dest`). */
  async sendNodeMessage(node: string, fields: MessageFields): Promise<void> {
    const m = this.clusterMessage(fields);
    await this.sendRaw({ fields: [...m.fields.filter((f) => f.name !== F.to), stringField(F.to, node)] });
  }

  /* ------------------------------------------------------------ ending */

  /** `signoff` (no reply), then closes. Safe to call twice. */
  async signoff(): Promise<void> {
    if (this.closedWith !== undefined) return;
    if (this.signedOn) {
      await this.chain.catch(() => undefined);
      if (this.closedWith === undefined) this.socket.write(encodeApiMessage(this.boilerplate('signoff')));
    }
    this.signedOn = false;
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }

  /** Drops the connection at once (no signoff: the daemon logs EOF). */
  close(): void {
    this.socket.destroy();
  }

  /* ------------------------------------------------------------ internals */

  private async doSignon(uid: number, gid: number): Promise<void> {
    const [reply] = await this.single('signon', [[F.uid, String(uid)], [F.gid, String(gid)]], { allowFailure: true });
    if (reply === undefined) throw new HeartbeatClientError('protocol', 'empty signon reply');
    const result = getString(reply, F.apiResult);
    const deadtime = hex(getString(reply, F.deadtime));
    const keepalive = hex(getString(reply, F.keepalive));
    const node = getString(reply, F.node);
    if (result !== API_OK) {
      const reason = getString(reply, F.comment);
      throw new HeartbeatClientError('refused', `heartbeat at ${this.socketPath} refused signon of ${this.casual ? 'a casual client' : `client ${this.clientId}`}${reason === undefined ? '' : `: ${reason}`}`, reason, reply);
    }
    if (deadtime === undefined) throw new HeartbeatClientError('protocol', "hb_api_signon: Can't get deadtime");
    if (keepalive === undefined) throw new HeartbeatClientError('protocol', "hb_api_signon: Can't get keepalive time");
    if (node === undefined) throw new HeartbeatClientError('protocol', "hb_api_signon: Can't get local node name");
    const lf = /^\s*[+-]?\d+/.exec(getString(reply, F.logFacility) ?? '');
    this.dest = node;
    this.info = {
      localNode: node,
      deadtimeMs: deadtime,
      keepaliveMs: keepalive,
      logFacility: lf === null ? -1 : Number.parseInt(lf[0], 10),
      hbversion: getString(reply, F.hbversion),
      pacemaker: getString(reply, F.pacemaker),
    };
    this.signedOn = true;
  }

  /** hb_api_boilerplate: t, reqtype, dest, pid, from_id. */
  private boilerplate(reqType: string, extra: readonly (readonly [string, string])[] = []): Message {
    return makeMessage([[F.type, T_APIREQ], [F.apiReq, reqType], [F.to, this.dest], [F.pid, String(this.pid)], [F.fromId, this.clientId], ...extra]);
  }

  private clusterMessage(fields: MessageFields): Message {
    if (this.casual) throw new HeartbeatClientError('bad-request', 'a casual client cannot send cluster messages (connect with a clientId)');
    const m: Message = 'fields' in fields ? fields : makeMessage(fields);
    if (getString(m, F.type) === undefined) throw new HeartbeatClientError('bad-request', `a cluster message needs a "${F.type}" field`);
    if (getString(m, F.type) === T_APIREQ) throw new HeartbeatClientError('bad-request', `"${T_APIREQ}" is the API's own message type`);
    return m;
  }

  private async sendRaw(m: Message): Promise<void> {
    this.assertOpen();
    await new Promise<void>((resolve, reject) => {
      this.socket.write(encodeApiMessage(m), (e) => (e == null ? resolve() : reject(new HeartbeatClientError('closed', `cannot write to heartbeat at ${this.socketPath}: ${e.message}`))));
    });
  }

  /** One reply expected; 'bad-request' unless result=OK (or allowFailure). */
  private async single(reqType: string, extra: readonly (readonly [string, string])[], o: { allowFailure?: boolean } = {}): Promise<Message[]> {
    const got: Message[] = [];
    await this.request(reqType, extra, (m) => {
      if (getString(m, F.type) !== T_APIRESP || !sameReq(m, reqType)) return 'skip';
      got.push(m);
      return 'done';
    });
    const r = got[0];
    if (r !== undefined && !o.allowFailure && getString(r, F.apiResult) !== API_OK) throw badRequest(reqType, r);
    return got;
  }

  /** A request answered by one field of one reply. */
  private async value(reqType: string, extra: readonly (readonly [string, string])[], field: string): Promise<string> {
    const [r] = await this.single(reqType, extra);
    const v = r === undefined ? undefined : getString(r, field);
    if (v === undefined) throw new HeartbeatClientError('protocol', `${reqType} reply has no ${field} field`, undefined, r);
    return v;
  }

  /** nodelist/iflist: replies with result=ok/more until result=OK. */
  private async multi(reqType: string, extra: readonly (readonly [string, string])[], key: string): Promise<Message[]> {
    const got: Message[] = [];
    let failure: Message | undefined;
    await this.request(reqType, extra, (m) => {
      if (getString(m, F.type) !== T_APIRESP || !sameReq(m, reqType)) return 'skip';
      const result = getString(m, F.apiResult);
      if ((result === API_OK || result === API_MORE) && getString(m, key) !== undefined) {
        got.push(m);
        return result === API_OK ? 'done' : 'take';
      }
      failure = m;
      return 'done';
    });
    if (failure !== undefined) throw badRequest(reqType, failure);
    return got;
  }

  /** Sends one request and feeds incoming messages to `accept` until it says done, or the timeout. Serialised. */
  private request(reqType: string, extra: readonly (readonly [string, string])[], accept: Pending['accept'], timeoutMs: number = this.timeoutMs): Promise<void> {
    const run = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (this.closedWith !== undefined) return reject(this.closedWith);
        if (reqType !== 'signon' && !this.signedOn) return reject(new HeartbeatClientError('closed', 'not signed on'));
        const timer = setTimeout(() => {
          if (this.pending !== p) return;
          this.pending = undefined;
          reject(new HeartbeatClientError('timeout', `heartbeat at ${this.socketPath} did not answer ${reqType} within ${timeoutMs} ms`));
        }, timeoutMs);
        const p: Pending = {
          reqType,
          accept,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        this.pending = p;
        this.socket.write(encodeApiMessage(this.boilerplate(reqType, extra)));
      });
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private onData(chunk: Buffer): void {
    const r = this.splitter.push(chunk);
    if (!r.ok) {
      this.fail(new HeartbeatClientError('protocol', `heartbeat at ${this.socketPath}: ${r.error.reason}: ${r.error.detail}`));
      return;
    }
    for (const body of r.value) {
      const m = decodeApiBody(body);
      if (!m.ok) {
        this.fail(new HeartbeatClientError('protocol', `heartbeat at ${this.socketPath} sent a malformed message (${m.error.reason}: ${m.error.detail})`));
        return;
      }
      this.dispatch(m.value);
    }
  }

  private dispatch(m: Message): void {
    const p = this.pending;
    if (p !== undefined) {
      const verdict = p.accept(m);
      if (verdict === 'done') {
        this.pending = undefined;
        p.resolve();
        return;
      }
      if (verdict === 'take') return;
    }
    // A reply nobody waits for (late, after a timeout) is not an event.
    if (getString(m, F.type) === T_APIRESP) return;
    this.emit(toEvent(m));
  }

  private emit(e: HeartbeatEvent): void {
    if (this.listeners.size === 0) {
      if (this.held.length < MAX_HELD_EVENTS) this.held.push(e);
      return;
    }
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a listener's bug must not break the connection */
      }
    }
  }

  private fail(e: HeartbeatClientError): void {
    this.closeWith(e);
    this.socket.destroy();
  }

  private closeWith(why: HeartbeatClientError): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = why;
    this.signedOn = false;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(why);
    for (const l of this.closeListeners) {
      try {
        l(why);
      } catch {
        /* a listener's bug must not break the others */
      }
    }
    this.closeListeners.clear();
  }

  private assertOpen(): void {
    if (this.closedWith !== undefined) throw this.closedWith;
    if (!this.signedOn) throw new HeartbeatClientError('closed', 'not signed on');
  }
}

/** Connects and signs on (HeartbeatClient.connect). */
export function connectHeartbeat(opts: ConnectOptions = {}): Promise<HeartbeatClient> {
  return HeartbeatClient.connect(opts);
}

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

function sameReq(m: Message, reqType: string): boolean {
  const r = getString(m, F.apiReq);
  return r === undefined || r === reqType;
}

function badRequest(reqType: string, reply: Message | undefined): HeartbeatClientError {
  const reason = reply === undefined ? undefined : getString(reply, F.comment);
  const result = reply === undefined ? undefined : getString(reply, F.apiResult);
  return new HeartbeatClientError('bad-request', `heartbeat refused ${reqType}${result === undefined ? '' : ` (result ${result}${reason === undefined ? '' : `, ${reason}`})`}`, reason, reply);
}

function hex(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(s);
  return m === null ? undefined : Number.parseInt(m[1] ?? '', 16);
}

function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m === null ? 0 : Number.parseInt(m[0], 10);
}

/** Connects to the Unix socket; the error says whether heartbeat is running and what to do. */
function openSocket(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path: socketPath });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new HeartbeatClientError('timeout', `cannot connect to heartbeat at ${socketPath}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      if (e.code === 'EACCES' || e.code === 'EPERM') {
        reject(new HeartbeatClientError('permission-denied', `cannot connect to heartbeat at ${socketPath}: permission denied (root or group haclient may)`));
      } else {
        reject(new HeartbeatClientError('not-running', `cannot connect to heartbeat at ${socketPath}: is it running? (${e.code ?? e.message})`));
      }
    });
  });
}
