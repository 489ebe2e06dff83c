// The real Heartbeat 3.0.6 accepts T_STATUS messages our codec builds and signs (crc, md5, sha1) and refuses them with one byte flipped.
//
// Topology, one lab per auth method (the three run concurrently, each on its own bridge):
//   [alpha] real heartbeat, eth0 198.51.100.11/24, isolated (own /etc/ha.d, /var/log, /run)
//   [bravo] plain netns, eth0 198.51.100.12/24: test/helpers/wire-sender.js broadcasts to 198.51.100.255:694
// ha.cf on alpha: bcast eth0, udpport 694, keepalive 200ms, deadtime 1, initdead 2, nodes alpha + bravo.
//
// Each lab runs two phases against the same daemon:
//   1. only flipped packets (one byte changed: alternately the `st` value in the body and the last trailer
//      digest character). Wait until the daemon has logged a refusal for every one of them, then assert
//      bravo never came up (no "Link bravo:eth0 up", no status update, cl_status says dead).
//   2. the same packets unflipped: bravo comes up ("Link bravo:eth0 up.", "Status update for node bravo:
//      status active", cl_status nodestatus bravo = active).
// Phase 2 is also the control for phase 1: the daemon was listening and the sender reached it, so the
// silence of phase 1 is the signature check's doing. If the real node accepted a flipped packet, phase 1's
// assertions fail.
//
// What the real node requires — measured against Debian's heartbeat 1:3.0.6-13+b2 in namespaces like these,
// sending hand-varied status packets from "bravo" (sha1 unless noted):
//   - Only the netstring trailer is verified on UDP. A packet with a wrong inner `auth` field (md5) or with no
//     inner `auth` field at all, but a correct trailer, is accepted.
//   - A bad trailer (any byte of body or digest changed, or another key) is dropped and logged, per packet:
//       "ERROR: authtoken does not match, authtoken=<received>, authstr=<expected>"
//       "ERROR: netstring authentication failed, s=###…" followed by "MSG: Dumping message with N fields".
//     crc digests are printed without leading zeros (a 7-hex-digit trailer was seen: `9:1 9032af9,`).
//   - `seq` is required for non-NS_ types: without it "process_clustermsg: missing seqno: iface eth0, from
//     bravo". `ts` is required and must be non-zero: missing → "missing from/ts/type"; ts=0 → dropped silently.
//   - `srcuuid` is NOT required (bravo comes up without it); `ld` and `ttl` are not required either.
//   - `hg` missing counts as generation 0: bravo still comes up, but the log also showed
//     "Late heartbeat … (> deadtime)" / "node bravo: is dead" / "Dead node bravo gave up resources".
//     A lower `hg` than one already seen: "should_drop_message: attempted replay attack [bravo]? [gen = X,
//     curgen = Y]" for every packet.
//   - Without `protocol`: accepted, and "flow control disabled due to different version heartbeat".
//   - An unknown `src` (charlie): "process_status_message: bad node [charlie] in message".
//   - `st=init` is reported as is ("Status update for node bravo: status init"; cl_status says init).
//   - A replayed real capture (fixtures payloads/status-crc.bin, src bravo, an old ts) is accepted too:
//     nothing checks ts against the clock.
//   - Timing: if bravo is heard before alpha's initdead runs out, alpha sends `reqnodes` and stays "up"
//     waiting for `repnodes` (no API socket, so no cl_status). Hence each lab first waits for alpha's own
//     comm-up ("Comm_now_up(): updating status to active", after initdead declares bravo dead).
//   - The daemon always logs "udpport setting must precede media statements" to stderr at start even with
//     udpport first; harmless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { createLab, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { distDir } from '../helpers/paths.js';
import {
  REAL_CL_STATUS,
  REAL_HEARTBEAT,
  clNodeStatus,
  countMatches,
  readLog,
  startRealHeartbeat,
  tail,
  waitForLog,
  writeRealConfig,
  type AuthMethod,
} from '../helpers/real-heartbeat.js';
import type { SenderConfig } from '../helpers/wire-sender.js';

const SENDER = path.join(distDir, 'test', 'helpers', 'wire-sender.js');
const METHODS: readonly AuthMethod[] = ['crc', 'md5', 'sha1'];
const KEY = 'Interop-Key_1';
const FLIPPED_COUNT = 6;

const REFUSED = /netstring authentication failed/;
const BRAVO_LINK_UP = /Link bravo:eth0 up\./;
const BRAVO_ACTIVE = /Status update for node bravo: status active/;
const BRAVO_ANY_STATUS = /Status update for node bravo:/;

function senderConfig(lab: Lab, method: AuthMethod, over: Partial<SenderConfig>): SenderConfig {
  return {
    src: 'bravo',
    uuidHex: UUID_HEX,
    generation: GENERATION,
    st: 'active',
    deadtimeMs: 2000,
    ttl: 3,
    method,
    key: KEY,
    address: lab.node('bravo').ip.replace(/\.\d+$/, '.255'),
    port: 694,
    count: 0,
    intervalMs: 200,
    firstSeq: 1,
    flip: 'none',
    ...over,
  };
}

// Like a real node: a random UUID kept for the run, a time-based generation.
const UUID_HEX = crypto.randomBytes(16).toString('hex');
const GENERATION = Math.floor(Date.now() / 1000);

interface SenderLine {
  readonly n: number;
  readonly seq: number;
  readonly verdict: string;
  readonly flip: string | null;
}

function senderLines(stdout: string): SenderLine[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as SenderLine);
}

async function interop(lab: Lab, method: AuthMethod): Promise<void> {
  writeRealConfig(lab, 'alpha', { nodes: ['alpha', 'bravo'], method, key: KEY });
  await startRealHeartbeat(lab, 'alpha');
  const before = readLog(lab, 'alpha');
  assert.equal(countMatches(before, REFUSED), 0, 'refusals before anything was sent');

  // Phase 1: flipped packets only.
  const flipped = await lab.exec(
    'bravo',
    [process.execPath, SENDER, JSON.stringify(senderConfig(lab, method, { count: FLIPPED_COUNT, intervalMs: 100, flip: 'alternate' }))],
    { timeoutMs: 10_000 },
  );
  assert.equal(flipped.exitCode, 0, `sender: ${flipped.stderr}`);
  const sent = senderLines(flipped.stdout);
  assert.equal(sent.length, FLIPPED_COUNT);
  for (const s of sent) assert.equal(s.verdict, 'bad-digest', `our own verify of flipped packet ${s.n}`);
  const afterFlips = await waitForLog(
    lab, 'alpha', (log) => countMatches(log, REFUSED) >= FLIPPED_COUNT, `${FLIPPED_COUNT} refusals of flipped packets`, 10_000,
  );
  assert.equal(countMatches(afterFlips, REFUSED), FLIPPED_COUNT, 'one refusal per flipped packet');
  assert.equal(countMatches(afterFlips, /authtoken does not match/), FLIPPED_COUNT);
  assert.doesNotMatch(afterFlips, BRAVO_LINK_UP, 'a flipped packet brought the link up');
  assert.doesNotMatch(afterFlips, BRAVO_ANY_STATUS, 'a flipped packet was taken as a status');
  assert.equal(await clNodeStatus(lab, 'alpha', 'bravo'), 'dead');

  // Phase 2: the same packets, unflipped, until bravo is active.
  const good = lab.start('bravo', [process.execPath, SENDER, JSON.stringify(senderConfig(lab, method, {}))]);
  try {
    const log = await waitForLog(
      lab, 'alpha', (l) => BRAVO_LINK_UP.test(l) && BRAVO_ACTIVE.test(l), 'bravo link up and active', 10_000,
    );
    assert.equal(countMatches(log, REFUSED), FLIPPED_COUNT, `a good packet was refused:\n${tail(log, 30)}`);
    assert.equal(await clNodeStatus(lab, 'alpha', 'bravo'), 'active');
  } finally {
    await good.stop(2000);
  }
  const goodSent = senderLines(good.stdout);
  assert.ok(goodSent.length >= 1, `the sender sent nothing: ${good.stderr}`);
  for (const s of goodSent) assert.equal(s.verdict, 'ok', `our own verify of packet ${s.n}`);
}

test('real Heartbeat 3.0.6 accepts our signed status messages and refuses flipped ones', { concurrency: true }, async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', REAL_HEARTBEAT, REAL_CL_STATUS])) return;
  await Promise.all(
    METHODS.map((method) =>
      t.test(method, async (st) => {
        const lab = await createLab(st, {
          label: `wi${method}`,
          nodes: [{ name: 'alpha' }, { name: 'bravo', isolated: false }],
        });
        await interop(lab, method);
      }),
    ),
  );
});
