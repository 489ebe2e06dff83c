// Fuzzer: mutates real Heartbeat packets and checks the codec never throws, never accepts a forgery, and that
// every netstring it accepts is canonical. `npm run fuzz -- --iterations N --seed S`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { realFixturesDir } from '../helpers/paths.js';
import {
  ClassicStreamSplitter,
  decodeFrame,
  encodeClassic,
  encodeNetstring,
  encodeNetstringBody,
  listField,
  makeMessage,
  readPcap,
  structField,
  singleKey,
  verifyFrame,
  type AuthKeys,
  type Field,
} from '../../src/wire/index.js';

const BZ2_PACKET =
  'IyMjCjE5NDooMSlfY29tcHJlc3NlZF9wYXlsb2FkPUJaaDExQVkmU1kgzPKNAAAE2YDgEEpkf/I/5V7wAAggAIqGUhqH6jKehMmmCeoyH6UxGqYEGQAAABkkqyROrAk4fgRAjvHKGlpGAzpmjl0r8eX826o7PQTxYw8CWqYttNjNZUTMiNutv3yDz1JOAQBAAqyPxCRAAEkPo2dYqUEgkEkXUuqhczlvV8rVtklvdJga22b6HvMHC9wQ8K8MFwfi7kinChIEGZ5RoCwyOTooMClfY29tcHJlc3Npb25fYWxnb3JpdGhtPWJ6MiwlJSUKNDI6MSAxZTFhZDY5OGJhOTEyZjQ2NTNjOWMyODUxN2YwY2U4NjFkOGJiMGIyLA==';

export interface CorpusEntry {
  readonly name: string;
  readonly bytes: Buffer;
  readonly keys: AuthKeys;
  readonly method: 'crc' | 'md5' | 'sha1';
}

export interface FuzzReport {
  readonly iterations: number;
  readonly ms: number;
  /** `<form>:<verdict>` for frames that decoded, `reject:<reason>` for those that did not. */
  readonly verdicts: Readonly<Record<string, number>>;
  /** Mutants that differ from every genuine packet yet verify 'ok' with md5/sha1: must be 0. */
  readonly forgeries: number;
  /** The same for crc, which has no secret: expected to be rare by chance, and always possible on purpose. */
  readonly crcAccepted: number;
  /** Mutants whose bytes differ but whose content is a genuine message (e.g. blank lines in classic form). */
  readonly equivalent: number;
  readonly unchanged: number;
  readonly exceptions: number;
  /** Accepted netstrings whose body does not re-encode to the same bytes: must be 0. */
  readonly nonCanonical: number;
  /** The first few failures, for the log. */
  readonly failures: readonly string[];
}

function methodOf(file: string): 'crc' | 'md5' | 'sha1' {
  return file.includes('-crc') ? 'crc' : file.includes('-md5') ? 'md5' : 'sha1';
}

function keysFor(method: 'crc' | 'md5' | 'sha1'): AuthKeys {
  return method === 'crc' ? singleKey('crc', '') : singleKey(method, 'SomeKey');
}

/** Real packets: every payload, a sample of each pcap (including ICMP), and the serial messages. */
export function loadCorpus(perPcap = 40): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  const seen = new Set<string>();
  const add = (name: string, bytes: Buffer, method: 'crc' | 'md5' | 'sha1'): void => {
    const k = bytes.toString('latin1');
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ name, bytes, keys: keysFor(method), method });
  };
  const payloads = path.join(realFixturesDir, 'payloads');
  for (const f of fs.readdirSync(payloads).filter((x) => x.endsWith('.bin')).sort()) add(f, fs.readFileSync(path.join(payloads, f)), methodOf(f));
  const pcaps = path.join(realFixturesDir, 'pcap');
  for (const f of fs.readdirSync(pcaps).filter((x) => x.endsWith('.pcap')).sort()) {
    const cap = readPcap(fs.readFileSync(path.join(pcaps, f)));
    if (!cap.ok) continue;
    const ps = cap.value.packets;
    const step = Math.max(1, Math.floor(ps.length / perPcap));
    for (let i = 0; i < ps.length; i += step) add(`${f}#${i}`, Buffer.from((ps[i] as { payload: Uint8Array }).payload), methodOf(f));
  }
  const serial = path.join(realFixturesDir, 'serial');
  for (const f of fs.readdirSync(serial).filter((x) => x.endsWith('.raw')).sort()) {
    const msgs = new ClassicStreamSplitter().push(fs.readFileSync(path.join(serial, f)));
    msgs.slice(0, 10).forEach((m, i) => add(`${f}#${i}`, Buffer.from(m), 'sha1'));
  }
  // Synthetic but legal: the rarer shapes real v1 traffic lacks (compression, structs, lists), signed with sha1.
  const keys = keysFor('sha1');
  const rare = [
    encodeNetstring(makeMessage([['t', 'big'], ['data', 'status active '.repeat(300)]]), keys, { compression: { algorithm: 'zlib', thresholdBytes: 2048 } }),
    encodeNetstring(makeMessage([['t', 'nested'], structField('s', makeMessage([['a', '1'], listField('l', ['x', 'yz'])])), listField('nodes', ['alpha', 'bravo'])]), keys),
    encodeClassic(makeMessage([['t', 'nested'], structField('s', makeMessage([['a', '1\n2'], structField('d', makeMessage([['b', '2']]))]))]), { keys }),
  ];
  rare.forEach((r, i) => {
    if (r.ok) add(`synthetic#${i}`, Buffer.from(r.value), 'sha1');
  });
  // bz2-compressed (made with bzip2 -1; see wire-bzip2.test.ts), so mutations reach the bzip2 decoder.
  add('synthetic#bz2', Buffer.from(BZ2_PACKET, 'base64'), 'sha1');
  return out;
}

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0x00, 0x0a, 0x13, 0x14, 0x2c, 0x3a, 0x23, 0x25, 0x28, 0x29, 0x3d, 0x30, 0x31, 0x35, 0x39, 0x3e, 0x3c, 0x20, 0x41, 0x61, 0x66, 0x7f, 0x80, 0xff];
export const MUTATIONS = ['bitflip', 'byteset', 'insert', 'delete', 'truncate', 'splice', 'length', 'duplicate', 'field'] as const;

function mutateOnce(b: Buffer, other: Buffer, r: () => number): Buffer {
  const int = (n: number): number => Math.floor(r() * n);
  const pos = (): number => int(b.length + 1);
  const op = MUTATIONS[int(MUTATIONS.length)] as (typeof MUTATIONS)[number];
  switch (op) {
    case 'bitflip': {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      const i = int(c.length);
      c[i] = (c[i] as number) ^ (1 << int(8));
      return c;
    }
    case 'byteset': {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      c[int(c.length)] = r() < 0.6 ? (INTERESTING[int(INTERESTING.length)] as number) : int(256);
      return c;
    }
    case 'insert': {
      const at = pos();
      const n = 1 + int(8);
      const ins = Buffer.alloc(n);
      for (let i = 0; i < n; i++) ins[i] = r() < 0.5 ? (INTERESTING[int(INTERESTING.length)] as number) : int(256);
      return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
    }
    case 'delete': {
      const at = pos();
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(16)))]);
    }
    case 'truncate':
      return b.subarray(0, int(b.length));
    case 'splice': {
      const at = pos();
      const from = int(other.length + 1);
      const to = Math.min(other.length, from + int(64));
      const cut = Math.min(b.length, at + int(64));
      return Buffer.concat([b.subarray(0, at), other.subarray(from, to), b.subarray(cut)]);
    }
    case 'length': {
      // Edit a netstring length: find a digit run ending in ':' and replace it.
      const s = b.toString('latin1');
      const runs: Array<[number, number]> = [];
      for (const m of s.matchAll(/\d+:/g)) runs.push([m.index ?? 0, (m.index ?? 0) + m[0].length - 1]);
      if (runs.length === 0) return b;
      const [start, end] = runs[int(runs.length)] as [number, number];
      const old = Number(s.slice(start, end));
      const choices = [old + 1, old - 1, 0, old * 2, 262144, 999999999, old + 1 + int(300), Math.max(0, old - 1 - int(old))];
      const text = int(10) === 0 ? `0${old}` : String(choices[int(choices.length)]);
      return Buffer.concat([b.subarray(0, start), Buffer.from(text, 'latin1'), b.subarray(end)]);
    }
    case 'field': {
      // Structure-aware: change one field's value or name and re-encode with correct lengths, keeping the
      // original signatures, so the mutant gets past every framing check and only the digest can refuse it.
      const f = decodeFrame(b);
      if (!f.ok || f.value.message.fields.length === 0) return b;
      const fields = f.value.message.fields.slice();
      const i = int(fields.length);
      const old = fields[i] as Field;
      let changed: Field;
      if (old.type === 0 || old.type === 1 || old.type === 4) {
        const v = Buffer.from(old.value);
        if (v.length > 0 && r() < 0.7) v[int(v.length)] = 0x20 + int(0x5f);
        changed = { ...old, value: r() < 0.3 ? Buffer.concat([v, Buffer.from('0')]) : v };
      } else {
        changed = old;
      }
      if (r() < 0.2) changed = { ...changed, name: `${changed.name}x` };
      fields[i] = changed;
      const m = { fields };
      if (f.value.form === 'classic') {
        const c = encodeClassic(m);
        return c.ok ? Buffer.from(c.value) : b;
      }
      const body = encodeNetstringBody(m);
      const trailerStart = f.value.packet.body.length;
      return Buffer.concat([body, b.subarray(trailerStart)]);
    }
    case 'duplicate': {
      const at = int(b.length);
      const seg = b.subarray(at, Math.min(b.length, at + 1 + int(32)));
      return Buffer.concat([b.subarray(0, at), seg, b.subarray(at)]);
    }
  }
}

/** Canonical content of a decoded frame, to tell a forgery from an equivalent spelling of a genuine message. */
function contentKey(frame: Extract<ReturnType<typeof decodeFrame>, { ok: true }>['value']): string {
  if (frame.form === 'netstring') return Buffer.from(frame.packet.body).toString('latin1') + '\u0100' + Buffer.from(frame.packet.trailer ?? []).toString('latin1');
  const c = encodeClassic(frame.message);
  return c.ok ? Buffer.from(c.value).toString('latin1') : '?';
}

export function runWireFuzz(options: { iterations: number; seed: number; corpus?: readonly CorpusEntry[] }): FuzzReport {
  const corpus = options.corpus ?? loadCorpus();
  if (corpus.length === 0) throw new Error('fuzz: empty corpus');
  const genuine = new Set<string>();
  for (const e of corpus) {
    const f = decodeFrame(e.bytes);
    if (!f.ok) throw new Error(`fuzz: corpus entry ${e.name} does not decode`);
    genuine.add(contentKey(f.value));
  }
  const r = rng(options.seed);
  const verdicts: Record<string, number> = {};
  const failures: string[] = [];
  let forgeries = 0;
  let crcAccepted = 0;
  let equivalent = 0;
  let unchanged = 0;
  let exceptions = 0;
  let nonCanonical = 0;
  const fail = (msg: string): void => {
    if (failures.length < 20) failures.push(msg);
  };
  const start = process.hrtime.bigint();
  for (let it = 0; it < options.iterations; it++) {
    const entry = corpus[Math.floor(r() * corpus.length)] as CorpusEntry;
    const other = (corpus[Math.floor(r() * corpus.length)] as CorpusEntry).bytes;
    let bytes = entry.bytes;
    const rounds = 1 + Math.floor(r() * r() * 4);
    for (let k = 0; k < rounds; k++) bytes = mutateOnce(bytes, other, r);
    if (bytes.equals(entry.bytes)) unchanged++;
    try {
      const frame = decodeFrame(bytes);
      let key: string;
      if (!frame.ok) {
        key = `reject:${frame.error.reason}`;
      } else {
        const v = verifyFrame(frame.value, entry.keys);
        key = `${frame.value.form}:${v.accepted}`;
        if (frame.value.form === 'netstring' && !encodeNetstringBody(frame.value.message).equals(frame.value.packet.body)) {
          nonCanonical++;
          fail(`non-canonical netstring accepted (seed ${options.seed}, iteration ${it}): ${bytes.toString('hex')}`);
        }
        if (v.accepted === 'ok' && !bytes.equals(entry.bytes)) {
          if (genuine.has(contentKey(frame.value))) equivalent++;
          else if (entry.method === 'crc') crcAccepted++;
          else {
            forgeries++;
            fail(`FORGERY accepted (${entry.name}, seed ${options.seed}, iteration ${it}): ${bytes.toString('hex')}`);
          }
        }
      }
      verdicts[key] = (verdicts[key] ?? 0) + 1;
    } catch (e) {
      exceptions++;
      fail(`exception (${entry.name}, seed ${options.seed}, iteration ${it}): ${e instanceof Error ? e.stack : String(e)} input ${bytes.toString('hex')}`);
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { iterations: options.iterations, ms, verdicts, forgeries, crcAccepted, equivalent, unchanged, exceptions, nonCanonical, failures };
}

export function formatFuzzReport(rep: FuzzReport, seed: number, corpus: readonly CorpusEntry[]): string[] {
  const synthetic = corpus.filter((e) => e.name.startsWith('synthetic#')).length;
  const lines = [
    `wire-fuzz: ${rep.iterations.toLocaleString('en-US')} iterations, seed ${seed}, corpus ${corpus.length - synthetic} real + ${synthetic} synthetic packets, ${(rep.ms / 1000).toFixed(1)} s (${Math.round(rep.iterations / (rep.ms / 1000)).toLocaleString('en-US')}/s)`,
    `  exceptions ${rep.exceptions}, forgeries accepted (md5/sha1) ${rep.forgeries}, non-canonical accepted ${rep.nonCanonical}`,
    `  crc mutants accepted ${rep.crcAccepted} (crc has no secret: anyone can re-compute it; only chance collisions count here)`,
    `  equivalent spellings of genuine messages accepted ${rep.equivalent}, unchanged after mutation ${rep.unchanged}`,
    '  verdicts:',
  ];
  for (const [k, v] of Object.entries(rep.verdicts).sort((a, b) => b[1] - a[1])) lines.push(`    ${k.padEnd(32)} ${v.toLocaleString('en-US')}`);
  for (const f of rep.failures) lines.push(`  FAIL ${f}`);
  return lines;
}

function argValue(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    console.error(`wire-fuzz: ${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const iterations = argValue(argv, '--iterations', 1_000_000);
  const seed = argValue(argv, '--seed', Date.now() % 2 ** 31);
  const corpus = loadCorpus();
  const rep = runWireFuzz({ iterations, seed, corpus });
  for (const line of formatFuzzReport(rep, seed, corpus)) console.log(line);
  process.exitCode = rep.exceptions + rep.forgeries + rep.nonCanonical > 0 ? 1 : 0;
}
