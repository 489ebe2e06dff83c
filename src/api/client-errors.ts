// The client's typed errors: a stable code each (the CLIs map them to exit statuses).
import { getString, type Message } from '../wire/message.js';
import { F } from './protocol.js';

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

/** The daemon answered a request with `result=badreq`/`fail`. */
export function badRequest(reqType: string, reply: Message | undefined): HeartbeatClientError {
  const reason = reply === undefined ? undefined : getString(reply, F.comment);
  const result = reply === undefined ? undefined : getString(reply, F.apiResult);
  return new HeartbeatClientError('bad-request', `heartbeat refused ${reqType}${result === undefined ? '' : ` (result ${result}${reason === undefined ? '' : `, ${reason}`})`}`, reason, reply);
}
