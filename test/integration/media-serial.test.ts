// SerialMedium on a real pty pair made by socat: signed messages both ways, 100 in order, and a pty that
// vanishes (socat killed) and comes back: reported once, no spinning, receiving resumes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialMedium } from '../../src/media/serial.js';
import type { MediumListener } from '../../src/media/medium.js';
import { decodeClassic, getString, makeMessage, signMessage, singleKey, verifyInnerAuth, type Message } from '../../src/wire/index.js';
import { isCi } from '../helpers/privileges.js';
import { startProcess, type StartedProcess } from '../helpers/processes.js';

const keys = singleKey('sha1', 'SomeKey');
const SOCAT_READY_MS = 10_000;

/** Like requireRootAndCommands, for socat alone (ptys need no root): skip outside CI, fail in CI. */
function requireSocat(t: TestContext): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore', timeout: 5_000 });
  if (r.status === 0) return true;
  if (isCi()) throw new Error('needs socat: CI=true, so this test must run (list its Debian package in test/debian-packages.txt)');
  t.skip('needs socat');
  return false;
}

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-serial-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** socat joining two ptys, linked as <dir>/ttyA and <dir>/ttyB; stopped by PID after the test. */
async function startPtyPair(t: TestContext, dir: string): Promise<StartedProcess> {
  const p = startProcess(['socat', '-d', '-d', `pty,raw,echo=0,link=${dir}/ttyA`, `pty,raw,echo=0,link=${dir}/ttyB`]);
  t.after(() => p.stop());
  await p.waitForOutput(/starting data transfer loop/, SOCAT_READY_MS);
  return p;
}

function message(from: string, seq: number): Message {
  const s = signMessage(
    makeMessage([
      ['t', 'status'],
      ['st', 'active'],
      ['dt', '2710'],
      ['protocol', '1'],
      ['src', from],
      ['seq', seq.toString(16)],
      ['hg', '6b05da4d'],
      ['ts', '6b05dce4'],
      ['ld', '0.16 0.20 0.15 3/114 28174'],
      ['ttl', '3'],
    ]),
    keys,
  );
  assert.ok(s.ok);
  return s.value;
}

/** Records frames (decoded and verified) and problems, and wakes waiters. */
class Receiver implements MediumListener {
  readonly seqs: string[] = [];
  readonly verdicts: string[] = [];
  readonly problems: string[] = [];
  private readonly waiters = new Set<() => void>();

  frame(bytes: Uint8Array): void {
    const m = decodeClassic(bytes);
    if (!m.ok) {
      this.verdicts.push(`undecodable: ${m.error.reason}`);
    } else {
      this.verdicts.push(verifyInnerAuth(m.value, keys));
      this.seqs.push(`${getString(m.value, 'src') ?? '?'}:${getString(m.value, 'seq') ?? '?'}`);
    }
    this.wake();
  }
  problem(text: string): void {
    this.problems.push(text);
    this.wake();
  }
  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves once cond() holds; rejects after timeoutMs. */
  until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; problems: ${this.problems.join(' | ')}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

async function openPair(t: TestContext, dir: string): Promise<{ a: SerialMedium; b: SerialMedium; ra: Receiver; rb: Receiver }> {
  const a = new SerialMedium({ device: path.join(dir, 'ttyA'), baud: 19200 });
  const b = new SerialMedium({ device: path.join(dir, 'ttyB'), baud: 19200 });
  t.after(() => Promise.all([a.close(), b.close()]));
  const ra = new Receiver();
  const rb = new Receiver();
  await a.start(ra);
  await b.start(rb);
  assert.ok(a.isOpen && b.isOpen, `both open; problems: ${[...ra.problems, ...rb.problems].join(' | ')}`);
  return { a, b, ra, rb };
}

test('two serial media on a pty pair exchange signed messages both ways; 100 in a row arrive in order', async (t) => {
  if (!requireSocat(t)) return;
  const dir = tempDir(t);
  await startPtyPair(t, dir);
  const { a, b, ra, rb } = await openPair(t, dir);

  a.send({ packet: new Uint8Array(), message: message('alpha', 1) });
  await rb.until(() => rb.seqs.length === 1, 5_000, 'alpha → bravo');
  b.send({ packet: new Uint8Array(), message: message('bravo', 1) });
  await ra.until(() => ra.seqs.length === 1, 5_000, 'bravo → alpha');
  assert.deepEqual(rb.seqs, ['alpha:1']);
  assert.deepEqual(ra.seqs, ['bravo:1']);

  const started = performance.now();
  for (let i = 2; i <= 101; i++) a.send({ packet: new Uint8Array(), message: message('alpha', i) });
  await rb.until(() => rb.seqs.length === 101, 10_000, '100 messages alpha → bravo');
  const ms = performance.now() - started;
  assert.deepEqual(
    rb.seqs,
    Array.from({ length: 101 }, (_, i) => `alpha:${(i + 1).toString(16)}`),
  );
  assert.ok(rb.verdicts.every((v) => v === 'ok'), rb.verdicts.join(','));
  assert.ok(ra.verdicts.every((v) => v === 'ok'));
  assert.deepEqual([...ra.problems, ...rb.problems], []);
  assert.equal(a.stats.framesDropped, 0);
  t.diagnostic(`100 messages alpha → bravo in ${ms.toFixed(0)} ms`);
});

test('the pty vanishes (socat killed): reported once, no spinning, and receiving resumes when it is back', async (t) => {
  if (!requireSocat(t)) return;
  const dir = tempDir(t);
  const socat = await startPtyPair(t, dir);
  const { a, b, ra, rb } = await openPair(t, dir);
  a.send({ packet: new Uint8Array(), message: message('alpha', 1) });
  await rb.until(() => rb.seqs.length === 1, 5_000, 'first message');

  // Hang-up: socat exits, both ptys vanish (it removes the links on SIGTERM).
  await socat.stop();
  await ra.until(() => ra.problems.length >= 1, 5_000, 'alpha to report the hang-up');
  await rb.until(() => rb.problems.length >= 1, 5_000, 'bravo to report the hang-up');
  for (const r of [ra, rb]) assert.match(r.problems[0] ?? '', /^serial \S+\/tty[AB]: device vanished \(.+\); retrying every 1 s/);

  // ~3 s with the line down while the daemon keeps sending: almost no CPU (real Heartbeat spins here).
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let seq = 2;
  const sender = setInterval(() => a.send({ packet: new Uint8Array(), message: message('alpha', seq++) }), 100);
  try {
    await new Promise((r) => setTimeout(r, 3_000));
  } finally {
    clearInterval(sender);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wallSeconds = (performance.now() - wall0) / 1000;
  t.diagnostic(`CPU during ${wallSeconds.toFixed(1)} s of hang-up: ${cpuSeconds.toFixed(3)} s; open attempts alpha ${a.stats.openAttempts}, bravo ${b.stats.openAttempts}`);
  assert.ok(cpuSeconds < 0.3, `used ${cpuSeconds} s of CPU in ${wallSeconds} s while the line was down`);
  assert.ok(a.stats.openAttempts <= 4 && b.stats.openAttempts <= 4, 'retries back off');
  assert.equal(ra.problems.length, 1, ra.problems.join(' | '));
  assert.equal(rb.problems.length, 1, rb.problems.join(' | '));
  assert.ok(!a.isOpen && !b.isOpen);

  // The pty comes back under the same names: both media re-open on their own and frames flow again.
  const restarted = performance.now();
  await startPtyPair(t, dir);
  const before = rb.seqs.length;
  const resend = setInterval(() => a.send({ packet: new Uint8Array(), message: message('alpha', seq++) }), 200);
  try {
    await rb.until(() => rb.seqs.length > before, 20_000, 'a message after the pty came back');
  } finally {
    clearInterval(resend);
  }
  const reconnectMs = performance.now() - restarted;
  b.send({ packet: new Uint8Array(), message: message('bravo', 7) });
  await ra.until(() => ra.seqs.includes('bravo:7'), 5_000, 'bravo → alpha after the pty came back');
  assert.ok(rb.verdicts.every((v) => v === 'ok'));
  assert.match(ra.problems[1] ?? '', /device back: re-opened after/);
  assert.match(rb.problems[1] ?? '', /device back: re-opened after/);
  t.diagnostic(`receiving resumed ${(reconnectMs / 1000).toFixed(1)} s after socat restarted; ${rb.problems[1] ?? ''}`);
});
