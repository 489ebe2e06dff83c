// Impersonates a Heartbeat peer: builds T_STATUS packets with our codec and broadcasts them (run inside a netns).
//
// Used by test/netns/wire-interop.test.ts as a program: `node dist/test/helpers/wire-sender.js '<json>'`
// started with `ip netns exec` in the sending namespace, so the socket never exists in the root namespace.
// The JSON is a SenderConfig. It prints one JSON line per packet sent ({"n":1,"seq":1,"bytes":…,"verdict":…})
// and exits 0 after `count` packets, or runs until SIGTERM when count is 0.
// The packet builder is a plain function too, for tests that only want the bytes.
import dgram from 'node:dgram';
import { pathToFileURL } from 'node:url';
import {
  binaryField,
  encodeNetstring,
  makeMessage,
  singleKey,
  stringField,
  verifyBytes,
  type AuthMethodName,
} from '../../src/wire/index.js';

export type FlipMode = 'none' | 'body' | 'trailer' | 'alternate';

export interface StatusFields {
  /** Our node name, lower case, as in the real node's ha.cf. */
  readonly src: string;
  /** 16 bytes, hex. */
  readonly uuidHex: string;
  /** Generation, sent as `hg` (hex). */
  readonly generation: number;
  readonly st: 'init' | 'up' | 'active';
  /** Advertised deadtime, sent as `dt` (hex ms); the real node uses it as its timeout for us. */
  readonly deadtimeMs: number;
  /** `ttl` = node count + hopfudge (1). */
  readonly ttl: number;
}

export interface SenderConfig extends StatusFields {
  readonly method: AuthMethodName;
  readonly key: string;
  /** Where to send: the interface's broadcast address, port 694. */
  readonly address: string;
  readonly port: number;
  /** Packets to send; 0 = until SIGTERM. */
  readonly count: number;
  readonly intervalMs: number;
  /** First `seq` (then +1 per packet, as Heartbeat's one gap-free counter). */
  readonly firstSeq: number;
  readonly flip: FlipMode;
}

/**
 * One status message in the field order of Heartbeat's send_local_status + add_control_msg_fields
 * (spec §2.2): t, st, dt, protocol, src, srcuuid, seq, hg, ts, ld, ttl; encodeNetstring appends the inner
 * `auth` field and the trailer. `tsSeconds` is wall time (the only wall-clock field on the wire).
 */
export function buildStatusPacket(f: StatusFields, keys: ReturnType<typeof singleKey>, seq: number, tsSeconds: number): Uint8Array {
  const m = makeMessage([
    stringField('t', 'status'),
    stringField('st', f.st),
    stringField('dt', f.deadtimeMs.toString(16)),
    stringField('protocol', '1'),
    stringField('src', f.src),
    binaryField('srcuuid', Buffer.from(f.uuidHex, 'hex')),
    stringField('seq', seq.toString(16)),
    stringField('hg', f.generation.toString(16)),
    stringField('ts', tsSeconds.toString(16)),
    stringField('ld', '0.00 0.00 0.00 1/100 1'),
    stringField('ttl', String(f.ttl)),
  ]);
  const r = encodeNetstring(m, keys);
  if (!r.ok) throw new Error(`cannot encode a status message: ${r.error.reason}: ${r.error.detail}`);
  return r.value;
}

/**
 * Changes one byte, keeping the packet parseable so the receiver's *signature* check is what refuses it:
 * 'body' flips the low bit of the first byte of the `st` value (active → `ctive); 'trailer' replaces the
 * last digest character by another hex digit ('0' ↔ '1'), so the digest is still well-formed hex and only
 * the comparison can reject it. A changed length or `(t)` prefix would test the parser instead (and the C
 * parser asserts on some of those, spec pitfall 6).
 */
export function flipOneByte(packet: Uint8Array, where: 'body' | 'trailer'): Uint8Array {
  const out = Buffer.from(packet);
  if (where === 'body') {
    const at = out.indexOf('(0)st=', 0, 'latin1') + '(0)st='.length;
    if (at < '(0)st='.length) throw new Error('no st field to flip');
    out[at] = (out[at] as number) ^ 0x01;
  } else {
    const at = out.length - 2; // the packet ends "<digest>,"
    out[at] = out[at] === 0x30 ? 0x31 : 0x30;
  }
  return out;
}

function flipFor(mode: FlipMode, n: number): 'body' | 'trailer' | null {
  if (mode === 'none') return null;
  if (mode === 'alternate') return n % 2 === 1 ? 'body' : 'trailer';
  return mode;
}

/** Sends packets as configured; resolves after the last one (or on SIGTERM). */
export async function runSender(c: SenderConfig, out: (line: string) => void): Promise<void> {
  const keys = singleKey(c.method, c.key);
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, () => resolve());
  });
  sock.setBroadcast(true);
  let stopped = false;
  const onTerm = (): void => {
    stopped = true;
  };
  process.once('SIGTERM', onTerm);
  try {
    for (let n = 1; !stopped && (c.count === 0 || n <= c.count); n++) {
      const seq = c.firstSeq + n - 1;
      let packet = buildStatusPacket(c, keys, seq, Math.floor(Date.now() / 1000));
      const flip = flipFor(c.flip, n);
      if (flip !== null) packet = flipOneByte(packet, flip);
      // Our own verdict on what we send: 'ok' unflipped, 'bad-digest' flipped — a check of the check.
      const verdict = verifyBytes(packet, keys).accepted;
      await new Promise<void>((resolve, reject) => sock.send(packet, c.port, c.address, (e) => (e ? reject(e) : resolve())));
      out(JSON.stringify({ n, seq, bytes: packet.length, flip, verdict }));
      if (c.count === 0 || n < c.count) await new Promise((r) => setTimeout(r, c.intervalMs));
    }
  } finally {
    process.removeListener('SIGTERM', onTerm);
    sock.close();
  }
}

function parseConfig(text: string | undefined): SenderConfig {
  if (text === undefined) throw new Error('usage: wire-sender.js <json SenderConfig>');
  return JSON.parse(text) as SenderConfig;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSender(parseConfig(process.argv[2]), (line) => process.stdout.write(`${line}\n`)).then(
    () => (process.exitCode = 0),
    (e: unknown) => {
      process.stderr.write(`wire-sender: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
