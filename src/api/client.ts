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
import { getBinary, getString, makeMessage, stringField, type Message } from '../wire/message.js';
import { ApiFrameSplitter, decodeApiBody, encodeApiMessage } from './framing.js';
import { API_MORE, API_OK, F, T_APIREQ, T_APIRESP, T_RCSTATUS, HBTS_STATUS_FIELD, HBTS_STATUS_REQUEST } from './protocol.js';
import type { ApiExtendedStatus } from './view.js';
import { badRequest, HeartbeatClientError } from './client-errors.js';
import { toEvent } from './client-events.js';
import { atoi, sameReq, signonInfoOf } from './client-replies.js';
import { openSocket } from './client-socket.js';
import { DEFAULT_CLIENT_STATUS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RUN_DIR, REGISTER_SOCKET_NAME, type ConnectOptions, type HeartbeatEvent, type LinkEntry, type MessageFields, type NodeEntry, type SignonInfo } from './client-types.js';

export { HeartbeatClientError, type HeartbeatClientErrorCode } from './client-errors.js';
export { toEvent } from './client-events.js';
export { DEFAULT_CLIENT_STATUS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RUN_DIR, REGISTER_SOCKET_NAME } from './client-types.js';
export type { ConnectOptions, HeartbeatEvent, LinkEntry, MessageFields, NodeEntry, SignonInfo } from './client-types.js';

const MAX_HELD_EVENTS = 1000;

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
    this.info = signonInfoOf(reply, `heartbeat at ${this.socketPath} refused signon of ${this.casual ? 'a casual client' : `client ${this.clientId}`}`);
    this.dest = this.info.localNode;
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

