// The signing keys of /etc/ha.d/authkeys, as the config parser produces them and the wire codec uses them.

export type AuthMethodName = 'crc' | 'md5' | 'sha1';

export interface AuthKey {
  /** 0..15, as on the `N method key` line. */
  readonly index: number;
  readonly method: AuthMethodName;
  /** The key token as bytes (a latin1 string: one char per byte); empty for crc. */
  readonly key: string;
}

export interface AuthKeys {
  /** The `auth N` index: the key we sign with, and (on UDP) verify with. */
  readonly activeIndex: number;
  /** Every method line, by index (all are usable for verifying classic-form messages). */
  readonly keys: ReadonlyMap<number, AuthKey>;
}
