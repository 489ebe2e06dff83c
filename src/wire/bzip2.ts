// A small pure bzip2 decompressor (one stream), so `_compression_algorithm=bz2` messages open without a
// native addon. Follows the format as libbzip2 writes it (decompress.c); bounded output; never throws.
import { Buffer } from 'node:buffer';
import { CRC_TABLE } from './digest.js';

/** Thrown only inside this file; bunzip2() turns it into a reason. */
class Bz2Error extends Error {}

function fail(why: string): never {
  throw new Bz2Error(why);
}

// bzip2's CRC-32 (BZ_UPDATE_CRC) is Heartbeat's crc polynomial, MSB first; only init and final differ.

class BitReader {
  private pos = 0; // in bits
  constructor(private readonly b: Uint8Array) {}

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  bit(): number {
    const byte = this.pos >>> 3;
    if (byte >= this.b.length) fail('unexpected end of data');
    const v = ((this.b[byte] as number) >>> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }
}

const MAX_GROUPS = 6;
const MAX_ALPHA = 258;
const MAX_CODE_LEN = 20;
const GROUP_SIZE = 50;
const MAX_SELECTORS = 18002; // BZ_MAX_SELECTORS (bzip2 1.0.8): more are read but ignored

interface Table {
  readonly limit: Int32Array;
  readonly base: Int32Array;
  readonly perm: Int32Array;
  readonly minLen: number;
}

/** hbCreateDecodeTables (huffman.c). */
function makeTable(lengths: Uint8Array, alphaSize: number): Table {
  let minLen = 32;
  let maxLen = 0;
  for (let i = 0; i < alphaSize; i++) {
    const l = lengths[i] as number;
    if (l > maxLen) maxLen = l;
    if (l < minLen) minLen = l;
  }
  const perm = new Int32Array(MAX_ALPHA);
  const base = new Int32Array(MAX_CODE_LEN + 3);
  const limit = new Int32Array(MAX_CODE_LEN + 3).fill(-1);
  let pp = 0;
  for (let i = minLen; i <= maxLen; i++) for (let j = 0; j < alphaSize; j++) if (lengths[j] === i) perm[pp++] = j;
  for (let i = 0; i < alphaSize; i++) {
    const k = (lengths[i] as number) + 1;
    base[k] = (base[k] as number) + 1;
  }
  for (let i = 1; i < base.length; i++) base[i] = (base[i] as number) + (base[i - 1] as number);
  let vec = 0;
  for (let i = minLen; i <= maxLen; i++) {
    vec += (base[i + 1] as number) - (base[i] as number);
    limit[i] = vec - 1;
    vec <<= 1;
  }
  for (let i = minLen + 1; i <= maxLen; i++) base[i] = (((limit[i - 1] as number) + 1) << 1) - (base[i] as number);
  return { limit, base, perm, minLen };
}

function decodeSymbol(r: BitReader, t: Table, alphaSize: number): number {
  let n = t.minLen;
  let v = r.bits(n);
  while (n <= MAX_CODE_LEN && v > (t.limit[n] as number)) {
    n++;
    v = (v << 1) | r.bit();
  }
  if (n > MAX_CODE_LEN) fail('bad Huffman code');
  const idx = v - (t.base[n] as number);
  if (idx < 0 || idx >= alphaSize) fail('bad Huffman code');
  return t.perm[idx] as number;
}

/** One block: Huffman + MTF + RLE2 decoding, inverse BWT, then RLE1 into `out`. Returns the block CRC. */
function readBlock(r: BitReader, blockMax: number, out: Bytes): number {
  const storedCrc = r.bits(32) >>> 0;
  if (r.bit() === 1) fail('randomised blocks are not supported');
  const origPtr = r.bits(24);
  // Symbol map: 16 ranges of 16 byte values.
  const used = r.bits(16);
  const seqToUnseq: number[] = [];
  for (let i = 0; i < 16; i++) if (used & (0x8000 >> i)) for (let j = 0; j < 16; j++) if (r.bit()) seqToUnseq.push(i * 16 + j);
  if (seqToUnseq.length === 0) fail('no symbols');
  const alphaSize = seqToUnseq.length + 2;
  const nGroups = r.bits(3);
  if (nGroups < 2 || nGroups > MAX_GROUPS) fail('bad number of Huffman groups');
  const nSelectors = r.bits(15);
  if (nSelectors < 1) fail('no selectors');
  const mtfGroups = Array.from({ length: nGroups }, (_, i) => i);
  const selectors = new Uint8Array(Math.min(nSelectors, MAX_SELECTORS));
  for (let i = 0; i < nSelectors; i++) {
    let j = 0;
    while (r.bit()) if (++j >= nGroups) fail('bad selector');
    const g = mtfGroups[j] as number;
    mtfGroups.splice(j, 1);
    mtfGroups.unshift(g);
    if (i < selectors.length) selectors[i] = g;
  }
  const tables: Table[] = [];
  for (let t = 0; t < nGroups; t++) {
    const lengths = new Uint8Array(alphaSize);
    let curr = r.bits(5);
    for (let i = 0; i < alphaSize; i++) {
      for (;;) {
        if (curr < 1 || curr > MAX_CODE_LEN) fail('bad code length');
        if (!r.bit()) break;
        curr += r.bit() ? -1 : 1;
      }
      lengths[i] = curr;
    }
    tables.push(makeTable(lengths, alphaSize));
  }
  // MTF/RLE2 decoding into tt (low 8 bits = byte of the BWT's last column).
  const eob = alphaSize - 1;
  // Grown by doubling up to the declared block size (≤ 900k entries, 3.6 MB), so small inputs stay small.
  let tt = new Uint32Array(Math.min(blockMax, 1 << 14));
  const room = (need: number): void => {
    if (need > blockMax) fail('block too long');
    if (need <= tt.length) return;
    const grown = new Uint32Array(Math.min(blockMax, Math.max(need, tt.length * 2)));
    grown.set(tt);
    tt = grown;
  };
  const counts = new Int32Array(256);
  const mtf = seqToUnseq.slice();
  let n = 0;
  let groupIndex = -1;
  let groupLeft = 0;
  let run = 0;
  let runWeight = 1;
  for (;;) {
    if (groupLeft === 0) {
      groupIndex++;
      if (groupIndex >= selectors.length) fail('ran out of selectors');
      groupLeft = GROUP_SIZE;
    }
    groupLeft--;
    const sym = decodeSymbol(r, tables[selectors[groupIndex] as number] as Table, alphaSize);
    if (sym <= 1) {
      // RUNA / RUNB: bijective base-2 run length of the front symbol.
      run += runWeight << sym;
      runWeight <<= 1;
      if (run > blockMax) fail('run too long');
      continue;
    }
    if (run > 0) {
      const b = mtf[0] as number;
      room(n + run);
      counts[b] = (counts[b] as number) + run;
      tt.fill(b, n, n + run);
      n += run;
      run = 0;
      runWeight = 1;
    }
    if (sym === eob) break;
    const b = mtf[sym - 1] as number;
    mtf.splice(sym - 1, 1);
    mtf.unshift(b);
    room(n + 1);
    counts[b] = (counts[b] as number) + 1;
    tt[n++] = b;
  }
  if (origPtr >= n) fail('bad origin pointer');
  // Inverse BWT (the "fast" tt variant of decompress.c).
  const start = new Int32Array(256);
  for (let i = 0, sum = 0; i < 256; i++) {
    start[i] = sum;
    sum += counts[i] as number;
  }
  for (let i = 0; i < n; i++) {
    const b = (tt[i] as number) & 0xff;
    const at = start[b] as number;
    tt[at] = ((tt[at] as number) | (i << 8)) >>> 0;
    start[b] = at + 1;
  }
  // Undo RLE1 (4 equal bytes then a repeat count) while computing the block CRC.
  let crc = 0xffffffff;
  let pos = (tt[origPtr] as number) >>> 8;
  let last = -1;
  let same = 0;
  for (let k = 0; k < n; k++) {
    const e = tt[pos] as number;
    const b = e & 0xff;
    pos = e >>> 8;
    if (same === 4) {
      for (let x = 0; x < b; x++) {
        out.push(last);
        crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ last) & 0xff] as number)) >>> 0;
      }
      same = 0;
      last = -1;
      continue;
    }
    same = b === last ? same + 1 : 1;
    last = b;
    out.push(b);
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ b) & 0xff] as number)) >>> 0;
  }
  crc = ~crc >>> 0;
  if (crc !== storedCrc) fail('block CRC mismatch');
  return crc;
}

/** A growable byte sink with a hard cap. */
class Bytes {
  private buf = Buffer.allocUnsafe(4096);
  length = 0;
  constructor(private readonly max: number) {}
  push(b: number): void {
    if (this.length >= this.buf.length) {
      if (this.length >= this.max) fail(`output larger than ${this.max} bytes`);
      const grown = Buffer.allocUnsafe(Math.min(this.max, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.buf[this.length++] = b;
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Decompresses one bzip2 stream (`BZh1`…`BZh9`, as BZ2_bzBuffToBuffCompress writes it), at most `maxOutput`
 * bytes, checking every block CRC and the stream CRC. Returns the bytes or the reason it could not.
 */
export function bunzip2(input: Uint8Array, maxOutput: number): { ok: true; value: Buffer } | { ok: false; error: string } {
  try {
    if (input.length < 4 || input[0] !== 0x42 || input[1] !== 0x5a || input[2] !== 0x68) fail('no "BZh" header');
    const level = (input[3] as number) - 0x30;
    if (level < 1 || level > 9) fail('bad block size');
    const r = new BitReader(input.subarray(4));
    const out = new Bytes(maxOutput);
    let combined = 0;
    for (;;) {
      const hi = r.bits(24);
      const lo = r.bits(24);
      if (hi === 0x314159 && lo === 0x265359) {
        const crc = readBlock(r, level * 100000, out);
        combined = (((combined << 1) | (combined >>> 31)) ^ crc) >>> 0;
      } else if (hi === 0x177245 && lo === 0x385090) {
        if (r.bits(32) >>> 0 !== combined) fail('stream CRC mismatch');
        return { ok: true, value: out.result() };
      } else {
        fail('bad block magic');
      }
    }
  } catch (e) {
    if (e instanceof Bz2Error) return { ok: false, error: e.message };
    // Anything else (e.g. RangeError on a pathological allocation) is still a refusal, not a crash.
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
