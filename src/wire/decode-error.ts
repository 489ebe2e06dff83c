// Why a frame could not be decoded: a stable reason code plus where and what, never an exception.

export type DecodeReason =
  | 'empty'
  | 'too-large'
  | 'no-start'
  | 'no-end'
  | 'bad-length'
  | 'truncated'
  | 'bad-item'
  | 'bad-type'
  | 'bad-name'
  | 'bad-value'
  | 'bad-base64'
  | 'bad-list'
  | 'too-deep'
  | 'trailing-bytes'
  | 'bad-trailer'
  | 'unsupported-compression'
  | 'bad-compressed';

export interface DecodeError {
  readonly reason: DecodeReason;
  /** Byte offset in the (innermost) input where the problem was found. */
  readonly offset: number;
  readonly detail: string;
}

export function decodeError(reason: DecodeReason, offset: number, detail: string): DecodeError {
  return { reason, offset, detail };
}
