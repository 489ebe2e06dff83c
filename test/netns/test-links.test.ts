// `hbctl test-links` on both nodes of a lab pair, before any daemon runs: bcast eth0 + a serial line (a
// host-side socat pty pair), checked end to end in both directions.
//
//   [alpha] eth0 198.51.100.11/24 ─┐                [alpha] <lab>/ttyA ═╗
//   [bravo] eth0 198.51.100.12/24 ─┴─ br0           [bravo] <lab>/ttyB ═╩═ socat (the "null-modem cable")
//
//   1. everything right: both exit 0, "All media work both ways.", and they end early (well before --seconds);
//   2. bravo's authkeys has another secret: both exit 1 saying the keys differ and to copy authkeys;
//   3. UDP port 694 blocked into bravo (nftables in bravo's namespace): alpha says bravo does not hear it on
//      eth0 (bravo's firewall), bravo says alpha hears it but nothing arrives (this node's firewall); the serial
//      line still works both ways — its probes carry the acknowledgements;
//   4. the cable pulled (socat killed: the pty pair is closed): both say the serial device cannot be opened,
//      with what to check; bcast still ok.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLab, startProcess, type Lab, type RunResult, type StartedProcess } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { cliPath } from '../helpers/paths.js';
import { writePairConfig, type PairConfig } from '../helpers/pair-config.js';

const NODES = ['alpha', 'bravo'] as const;
type NodeName = (typeof NODES)[number];

async function ptyPair(t: TestContext, dir: string): Promise<{ a: string; b: string; socat: StartedProcess }> {
  const a = path.join(dir, 'ttyA');
  const b = path.join(dir, 'ttyB');
  const socat = startProcess(['socat', '-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`]);
  t.after(() => socat.stop(2000));
  await socat.waitForOutput(/starting data transfer loop/, 10_000);
  return { a, b, socat };
}

interface Both {
  readonly alpha: RunResult;
  readonly bravo: RunResult;
  readonly ms: number;
}

async function testLinks(lab: Lab, seconds: number): Promise<Both> {
  const started = Date.now();
  const [alpha, bravo] = await Promise.all(
    NODES.map((n) => lab.exec(n, [process.execPath, cliPath('hbctl'), 'test-links', '--seconds', String(seconds)], { timeoutMs: (seconds + 10) * 1000 })),
  );
  if (alpha === undefined || bravo === undefined) throw new Error('unreachable');
  return { alpha, bravo, ms: Date.now() - started };
}

function show(r: RunResult): string {
  return `exit ${r.exitCode}\n${r.stdout}${r.stderr}`;
}

function line(r: RunResult, prefix: string): string {
  const l = r.stdout.split('\n').find((x) => x.includes(prefix));
  assert.ok(l, `a line about ${prefix}:\n${show(r)}`);
  return l;
}

test('hbctl test-links: good links, a wrong key, a blocked UDP port and a pulled serial cable', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'socat', 'nft'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'tlnk' });
  const tty = await ptyPair(t, lab.root);
  const config = (n: NodeName, key?: string): PairConfig => ({
    before: ['baud 19200'],
    media: ['bcast eth0', `serial ${n === 'alpha' ? tty.a : tty.b}`],
    ...(key === undefined ? {} : { key }),
  });
  for (const n of NODES) writePairConfig(lab, n, config(n));

  // 1. Everything right.
  const good = await testLinks(lab, 10);
  for (const n of NODES) {
    const r = good[n];
    assert.equal(r.exitCode, 0, `${n}:\n${show(r)}`);
    assert.match(r.stdout, /All media work both ways\./);
    assert.match(line(r, 'bcast eth0'), /^ {2}ok {3}bcast eth0 \(UDP port 694\): .* hears us and we hear .*; keys agree\./);
    assert.match(line(r, 'serial '), /^ {2}ok {3}serial .* \(19200 baud\): .*keys agree/);
  }
  assert.ok(good.ms < 8000, `ended early once confirmed (${good.ms} ms, --seconds 10)`);
  t.diagnostic(`all good: both confirmed and done in ${good.ms} ms`);

  // 2. Another secret on bravo.
  writePairConfig(lab, 'bravo', config('bravo', 'Another-Secret'));
  const keys = await testLinks(lab, 3);
  for (const n of NODES) {
    const r = keys[n];
    assert.equal(r.exitCode, 1, `${n}:\n${show(r)}`);
    assert.match(line(r, 'bcast eth0'), /FAIL bcast eth0 .*fail authentication: .*do not match our key.*authkeys differ: copy \/etc\/ha\.d\/authkeys/);
    assert.match(line(r, 'serial '), /FAIL serial .*authkeys differ/);
  }
  writePairConfig(lab, 'bravo', config('bravo'));

  // 3. UDP port 694 blocked into bravo.
  const nft = async (args: string[]): Promise<void> => {
    const r = await lab.exec('bravo', ['nft', ...args], { timeoutMs: 5000 });
    assert.equal(r.exitCode, 0, `nft ${args.join(' ')}: ${r.stderr}`);
  };
  await nft(['add', 'table', 'ip', 'tlnk']);
  await nft(['add', 'chain', 'ip', 'tlnk', 'in', '{ type filter hook input priority 0; policy accept; }']);
  await nft(['add', 'rule', 'ip', 'tlnk', 'in', 'udp', 'dport', '694', 'drop']);
  const blocked = await testLinks(lab, 3);
  assert.equal(blocked.alpha.exitCode, 1, show(blocked.alpha));
  assert.equal(blocked.bravo.exitCode, 1, show(blocked.bravo));
  assert.match(line(blocked.alpha, 'bcast eth0'), /FAIL bcast eth0 .*we hear bravo, but bravo does not hear us.*bravo's firewall \(UDP port 694 inbound\)/);
  assert.match(line(blocked.bravo, 'bcast eth0'), /FAIL bcast eth0 .*alpha hears us, but nothing from alpha arrives here.*this node's firewall \(UDP port 694 inbound\)/);
  for (const n of NODES) assert.match(line(blocked[n], 'serial '), /^ {2}ok /, `${n}: the serial line still works:\n${show(blocked[n])}`);
  await nft(['delete', 'table', 'ip', 'tlnk']);

  // 4. The cable pulled: the pty pair is gone.
  await tty.socat.stop(2000);
  const pulled = await testLinks(lab, 3);
  for (const n of NODES) {
    const r = pulled[n];
    assert.equal(r.exitCode, 1, `${n}:\n${show(r)}`);
    assert.match(line(r, 'serial '), /FAIL serial .*cannot be opened: .*Check the device name in ha\.cf/);
    assert.match(line(r, 'bcast eth0'), /^ {2}ok /);
  }
  t.diagnostic(`cable pulled, alpha says: ${line(pulled.alpha, 'serial ').trim()}`);
});
