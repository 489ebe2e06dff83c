// Benchmark: encode+sign and decode+verify of a realistic status message, per auth method, msg/s on one core.
import { fileURLToPath } from 'node:url';
import { binaryField, decodeNetstring, encodeNetstring, makeMessage, singleKey, verifyTrailer, verifyInnerAuth, type AuthKeys, type Message } from '../../src/wire/index.js';
import { recordRow } from './summary.js';

const MIN_NS = 1_000_000_000n; // measure each case for at least 1 s
const MAX_ITERATIONS = 5_000_000; // and never more than this (bounded even on a very fast machine)

/** A status message shaped like the real ones (§2.2): 12 fields, a 16-byte binary uuid. */
export function statusMessage(seq: number): Message {
  return makeMessage([
    ['t', 'status'],
    ['st', 'active'],
    ['dt', '1388'],
    ['protocol', '1'],
    ['src', 'alpha'],
    binaryField('srcuuid', Buffer.from('f90e6cfd1201458f8cfa703b47efc84c', 'hex')),
    ['seq', seq.toString(16)],
    ['hg', '6b05da4d'],
    ['ts', '6b05dce5'],
    ['ld', '0.16 0.20 0.15 1/119 28198'],
    ['ttl', '3'],
  ]);
}

interface Measured {
  /** Messages per second of wall time. */
  readonly perSecond: number;
  /** Messages per second of CPU time used by this process: one core's worth, even on a busy machine. */
  readonly perCpuSecond: number;
  readonly iterations: number;
  readonly ms: number;
}

function measure(run: (i: number) => void): Measured {
  for (let i = 0; i < 2000; i++) run(i); // warm-up: let the JIT settle
  let iterations = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < MIN_NS && iterations < MAX_ITERATIONS) {
    for (let k = 0; k < 500; k++) run(iterations++);
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  const seconds = Number(elapsed) / 1e9;
  const cpuSeconds = Math.max((cpu.user + cpu.system) / 1e6, 1e-6);
  return { perSecond: iterations / seconds, perCpuSecond: iterations / cpuSeconds, iterations, ms: seconds * 1000 };
}

const TARGET = 50_000;

export async function benchWire(): Promise<string[]> {
  const lines: string[] = [`wire: status message, one core, target ≥ ${TARGET.toLocaleString('en-US')} msg/s`];
  const methods: Array<[string, AuthKeys]> = [
    ['crc', singleKey('crc', '')],
    ['md5', singleKey('md5', 'SomeKey')],
    ['sha1', singleKey('sha1', 'SomeKey')],
  ];
  for (const [name, keys] of methods) {
    const messages = Array.from({ length: 64 }, (_, i) => statusMessage(i + 1));
    const encoded = encodeNetstring(statusMessage(1), keys);
    if (!encoded.ok) throw new Error(`bench: cannot encode: ${encoded.error.detail}`);
    const packet = encoded.value;
    let sink = 0;
    const enc = measure((i) => {
      const r = encodeNetstring(messages[i & 63] as Message, keys);
      if (r.ok) sink += r.value.length;
    });
    const dec = measure(() => {
      const p = decodeNetstring(packet);
      if (!p.ok || verifyTrailer(p.value, keys) !== 'ok') throw new Error('bench: packet does not verify');
      sink += p.value.message.fields.length;
    });
    const both = measure(() => {
      const p = decodeNetstring(packet);
      if (!p.ok || verifyTrailer(p.value, keys) !== 'ok' || verifyInnerAuth(p.value.message, keys) !== 'ok') throw new Error('bench: packet does not verify');
    });
    const fmt = (r: Measured): string => `${Math.round(r.perSecond).toLocaleString('en-US')} msg/s`;
    const cpu = (r: Measured): string => `${Math.round(r.perCpuSecond).toLocaleString('en-US')}/s per CPU-second`;
    const verdict = (r: Measured): string => (r.perSecond >= TARGET ? 'ok' : r.perCpuSecond >= TARGET ? 'ok (CPU)' : 'BELOW TARGET');
    const row = (what: string, r: Measured, extra = ''): string =>
      `wire ${name.padEnd(4)} ${what.padEnd(30)} ${fmt(r).padStart(16)}  ${verdict(r).padEnd(12)} (${cpu(r)}; ${r.iterations} in ${r.ms.toFixed(0)} ms${extra})`;
    lines.push(row('encode+sign (inner+trailer)', enc, `, ${packet.length} B`));
    lines.push(row('decode+verify trailer', dec));
    lines.push(row('decode+verify trailer+inner', both));
    for (const [what, r] of [['encode+sign (inner+trailer)', enc], ['decode+verify trailer', dec], ['decode+verify trailer+inner', both]] as const) {
      recordRow({
        bench: 'wire',
        scenario: `${name} ${what}`,
        unit: 'msgs/s',
        ours: [r.perSecond],
        real: [],
        target: `≥ ${TARGET.toLocaleString('en-US')}: ${verdict(r)}`,
        note: `${cpu(r)}; ${r.iterations} in ${r.ms.toFixed(0)} ms`,
      });
    }
    if (sink < 0) lines.push('unreachable');
  }
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of await benchWire()) console.log(line);
}
