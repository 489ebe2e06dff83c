// Heartbeat's three HBauth plugins (lib/plugins/HBauth/{crc,md5,sha1}.c): lower-case hex digests.
import { Buffer } from 'node:buffer';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { AuthMethodName } from '../core/auth-keys.js';

/** CRC-32 table for polynomial 0x04C11DB7, MSB first (crc.c; not zlib's reflected crc32). bzip2 uses it too. */
export const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/**
 * Heartbeat's crc: init 0, `crc = (crc << 8) ^ tab[((crc >> 24) ^ byte) & 0xff]`, final complement,
 * printed with `%lx` — lower-case, no leading zeros. `crcHex("123456789") === "765e7680"`.
 */
export function crcHex(data: Uint8Array): string {
  let crc = 0;
  for (let i = 0; i < data.length; i++) crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ (data[i] as number)) & 0xff] as number)) >>> 0;
  return (~crc >>> 0).toString(16);
}

/** The digest text a method produces over `data` with `key` (a latin1 string; ignored by crc). */
export function digestHex(method: AuthMethodName, key: string, data: Uint8Array): string {
  switch (method) {
    case 'crc':
      return crcHex(data);
    case 'md5':
    case 'sha1':
      // RFC 2104 HMAC (md5.c HMAC, sha1.c); keys longer than the block are hashed first, as node does.
      return createHmac(method, hmacKey(key)).update(data).digest('hex');
  }
}

/** Key objects by key text: a node signs and verifies with one or two keys, many times a second. */
const KEY_CACHE = new Map<string, KeyObject | Buffer>();
const KEY_CACHE_MAX = 32;

function hmacKey(key: string): KeyObject | Buffer {
  let k = KEY_CACHE.get(key);
  if (k === undefined) {
    const bytes = Buffer.from(key, 'latin1');
    k = bytes.length > 0 ? createSecretKey(bytes) : bytes; // a secret key object cannot be empty
    if (KEY_CACHE.size >= KEY_CACHE_MAX) KEY_CACHE.clear();
    KEY_CACHE.set(key, k);
  }
  return k;
}
