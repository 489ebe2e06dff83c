// Reading the daemon's replies the C library's way: the signon facts (hex times), atoi numbers.
import { getString, type Message } from '../wire/message.js';
import { HeartbeatClientError } from './client-errors.js';
import type { SignonInfo } from './client-types.js';
import { API_OK, F } from './protocol.js';

/** hb_api_signon's checks on the signon reply; `refusedText` begins the 'refused' error's message. */
export function signonInfoOf(reply: Message, refusedText: string): SignonInfo {
  const result = getString(reply, F.apiResult);
  const deadtime = hex(getString(reply, F.deadtime));
  const keepalive = hex(getString(reply, F.keepalive));
  const node = getString(reply, F.node);
  if (result !== API_OK) {
    const reason = getString(reply, F.comment);
    throw new HeartbeatClientError('refused', `${refusedText}${reason === undefined ? '' : `: ${reason}`}`, reason, reply);
  }
  if (deadtime === undefined) throw new HeartbeatClientError('protocol', "hb_api_signon: Can't get deadtime");
  if (keepalive === undefined) throw new HeartbeatClientError('protocol', "hb_api_signon: Can't get keepalive time");
  if (node === undefined) throw new HeartbeatClientError('protocol', "hb_api_signon: Can't get local node name");
  const lf = /^\s*[+-]?\d+/.exec(getString(reply, F.logFacility) ?? '');
  return {
    localNode: node,
    deadtimeMs: deadtime,
    keepaliveMs: keepalive,
    logFacility: lf === null ? -1 : Number.parseInt(lf[0], 10),
    hbversion: getString(reply, F.hbversion),
    pacemaker: getString(reply, F.pacemaker),
  };
}

function hex(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^\s*(?:0[xX])?([0-9a-fA-F]+)/.exec(s);
  return m === null ? undefined : Number.parseInt(m[1] ?? '', 16);
}

/** C atoi: leading digits, 0 when none. */
export function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m === null ? 0 : Number.parseInt(m[0], 10);
}

/** A reply for `reqType` (a reply without `reqtype`, from an older server, matches any). */
export function sameReq(m: Message, reqType: string): boolean {
  const r = getString(m, F.apiReq);
  return r === undefined || r === reqType;
}
