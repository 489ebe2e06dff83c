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
    case 'sha1':
      return sha1HmacKey(key).hex(data);
    case 'md5':
      // RFC 2104 HMAC (md5.c HMAC); keys longer than the block are hashed first, as node does.
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

/* ------------------------------------------------------------------ HMAC-SHA1 without node:crypto */
/*
 * Every heartbeat is signed twice and every received one verified once, a few dozen times a second, with
 * one key. node:crypto's createHmac costs far more than the hashing here (a stream object, key handling and
 * native calls per message, on code that is cold between heartbeats), so sha1 is computed in place: the
 * SHA-1 states after the key's ipad and opad blocks are kept per key (RFC 2104), a message costs its own
 * blocks plus one outer block, and nothing is allocated but the hex string. FIPS 180-4 SHA-1; checked
 * against node:crypto in test/unit/wire-hmac.test.ts.
 */

const W = new Int32Array(80);
/** The last one or two blocks of the inner hash (data tail, 0x80, zeros, bit length). */
const TAIL = new Uint8Array(128);
const STATE = new Int32Array(5);
/** The 40 hex digits of a result, as character codes (one string is made from them). */
const HEX_CODES: number[] = new Array<number>(40).fill(0x30);

/** One 64-byte block of `b` at `off` into `h` (5 words). */
function sha1Block(h: Int32Array, b: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) W[i] = ((b[off] as number) << 24) | ((b[off + 1] as number) << 16) | ((b[off + 2] as number) << 8) | (b[off + 3] as number);
  for (let i = 16; i < 80; i++) {
    const x = (W[i - 3] as number) ^ (W[i - 8] as number) ^ (W[i - 14] as number) ^ (W[i - 16] as number);
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = h[0] as number;
  let bb = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  let e = h[4] as number;
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (bb & c) | (~bb & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = bb ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (bb & c) | (bb & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = bb ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + (W[i] as number)) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = t;
  }
  h[0] = ((h[0] as number) + a) | 0;
  h[1] = ((h[1] as number) + bb) | 0;
  h[2] = ((h[2] as number) + c) | 0;
  h[3] = ((h[3] as number) + d) | 0;
  h[4] = ((h[4] as number) + e) | 0;
}

/** Continues a SHA-1 at state `h` (after `prefixBytes`, a multiple of 64) over `data` and pads it. */
function sha1Finish(h: Int32Array, prefixBytes: number, data: Uint8Array): void {
  const n = data.length;
  const full = n - (n % 64);
  for (let off = 0; off < full; off += 64) sha1Block(h, data, off);
  const rest = n - full;
  TAIL.fill(0);
  TAIL.set(data.subarray(full), 0);
  TAIL[rest] = 0x80;
  const blocks = rest < 56 ? 1 : 2;
  const end = blocks * 64;
  const bits = (prefixBytes + n) * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  TAIL[end - 8] = hi >>> 24;
  TAIL[end - 7] = (hi >>> 16) & 0xff;
  TAIL[end - 6] = (hi >>> 8) & 0xff;
  TAIL[end - 5] = hi & 0xff;
  TAIL[end - 4] = lo >>> 24;
  TAIL[end - 3] = (lo >>> 16) & 0xff;
  TAIL[end - 2] = (lo >>> 8) & 0xff;
  TAIL[end - 1] = lo & 0xff;
  sha1Block(h, TAIL, 0);
  if (blocks === 2) sha1Block(h, TAIL, 64);
}

const SHA1_INIT = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];
const INNER_DIGEST = new Uint8Array(20);

/** HMAC-SHA1 with one key: the states after the ipad and opad blocks, computed once. */
class Sha1Hmac {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);

  constructor(key: Uint8Array) {
    let k = key;
    if (k.length > 64) {
      STATE.set(SHA1_INIT);
      sha1Finish(STATE, 0, k);
      k = wordsToBytes(STATE, new Uint8Array(20));
    }
    const pad = new Uint8Array(64);
    for (const [state, x] of [[this.inner, 0x36], [this.outer, 0x5c]] as const) {
      for (let i = 0; i < 64; i++) pad[i] = (i < k.length ? (k[i] as number) : 0) ^ x;
      state.set(SHA1_INIT);
      sha1Block(state, pad, 0);
    }
  }

  /** Lower-case hex HMAC-SHA1 of `data`. */
  hex(data: Uint8Array): string {
    STATE.set(this.inner);
    sha1Finish(STATE, 64, data);
    wordsToBytes(STATE, INNER_DIGEST);
    STATE.set(this.outer);
    sha1Finish(STATE, 64, INNER_DIGEST);
    for (let i = 0; i < 40; i++) {
      const nibble = ((STATE[i >> 3] as number) >>> (28 - 4 * (i & 7))) & 0xf;
      HEX_CODES[i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble;
    }
    return String.fromCharCode.apply(null, HEX_CODES);
  }
}

function wordsToBytes(h: Int32Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < 5; i++) {
    const w = h[i] as number;
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 0xff;
    out[4 * i + 2] = (w >>> 8) & 0xff;
    out[4 * i + 3] = w & 0xff;
  }
  return out;
}

const SHA1_KEYS = new Map<string, Sha1Hmac>();

function sha1HmacKey(key: string): Sha1Hmac {
  let k = SHA1_KEYS.get(key);
  if (k === undefined) {
    k = new Sha1Hmac(Buffer.from(key, 'latin1'));
    if (SHA1_KEYS.size >= KEY_CACHE_MAX) SHA1_KEYS.clear();
    SHA1_KEYS.set(key, k);
  }
  return k;
}
