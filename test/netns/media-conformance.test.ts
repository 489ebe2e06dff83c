// The UDP media (bcast, ucast, mcast) pass the medium conformance suite between two lab nodes, and keep interfaces apart.
//
// Topology per case (a fresh lab each time, torn down at the end of the case):
//   [alpha] eth0 198.51.100.11/24 ─┐
//                                  ├── br0 (bridge ns)
//   [bravo] eth0 198.51.100.12/24 ─┘
// plus, for the two-interface test, a direct veth alpha:eth1 203.0.113.11/24 ⇄ bravo:eth1 203.0.113.12/24.
// Each medium runs in a media-peer process started inside its node, so every socket lives in the lab's
// namespaces. Ports are fixed (694 like Heartbeat, 50694 for mcast): nothing else lives in these namespaces.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Medium } from '../../src/config/model.js';
import { mediumConformanceSuite, type MakePair } from '../helpers/medium-conformance.js';
import { createLab, runOk, type Lab, type LabNode } from '../helpers/netns.js';
import { addLink, MediaPeerProcess, startMediaPeer } from '../helpers/netns-extra.js';
import { distDir } from '../helpers/paths.js';
import { requireRootAndCommands } from '../helpers/privileges.js';

type UdpSpec = Extract<Medium, { readonly kind: 'bcast' | 'ucast' | 'mcast' }>;

const PORT = 694;
const MCAST_GROUP = '239.255.100.1';
const MCAST_PORT = 50694;
const MISSING_IFACE = 'hbtsnone0';

function twoNodes(t: TestContext, label: string): Promise<Lab> {
  return createLab(t, { label, bridgeAddress: null, nodes: [{ name: 'alpha', isolated: false }, { name: 'bravo', isolated: false }] });
}

/** A MakePair for a UDP medium: spec(self, other) is the medium line of `self`. */
function udpPair(label: string, spec: (self: LabNode, other: LabNode) => UdpSpec): MakePair {
  return async (t) => {
    const lab = await twoNodes(t, label);
    const alpha = lab.node('alpha');
    const bravo = lab.node('bravo');
    const peers: MediaPeerProcess[] = [];
    const stopAll = async (): Promise<void> => {
      const exits = await Promise.all(peers.map((p) => p.stop()));
      await lab.teardown();
      exits.forEach((e, i) => assert.equal(e.exitCode, 0, `${peers[i]?.label}: media-peer did not exit cleanly at end of stdin`));
    };
    try {
      peers.push(await startMediaPeer(lab, 'alpha', spec(alpha, bravo), 'A (alpha)'));
      peers.push(await startMediaPeer(lab, 'bravo', spec(bravo, alpha), 'B (bravo)'));
    } catch (err) {
      await stopAll().catch(() => undefined); // the start failure is the news
      throw err;
    }
    const [a, b] = peers as [MediaPeerProcess, MediaPeerProcess];
    return {
      a,
      b,
      startBroken: async () => {
        try {
          const p = await startMediaPeer(lab, 'alpha', { ...spec(alpha, bravo), iface: MISSING_IFACE });
          await p.stop();
          return { message: undefined, mustName: MISSING_IFACE };
        } catch (err) {
          return { message: err instanceof Error ? err.message : String(err), mustName: MISSING_IFACE };
        }
      },
      dispose: stopAll,
    };
  };
}

const gate = { prerequisites: (t: TestContext): boolean => requireRootAndCommands(t, ['nsenter']) };

mediumConformanceSuite('bcast', udpPair('mcbcast', () => ({ kind: 'bcast', iface: 'eth0', port: PORT })), gate);
mediumConformanceSuite('ucast', udpPair('mcucast', (_self, other) => ({ kind: 'ucast', iface: 'eth0', peer: other.ip, port: PORT })), gate);
mediumConformanceSuite(
  'mcast',
  udpPair('mcmcast', () => ({ kind: 'mcast', iface: 'eth0', group: MCAST_GROUP, port: MCAST_PORT, ttl: 1, loop: 0 })),
  gate,
);

/* ------------------------------------------------------------------ beyond the suite: UDP specifics */

const text = (s: string): Buffer => Buffer.from(s, 'latin1');
const texts = (frames: readonly Uint8Array[]): string[] => frames.map((f) => Buffer.from(f).toString('latin1'));

/** Starts media-peers, stopping all of them (by ending stdin, then by PID) when the test ends. */
function peerPool(t: TestContext, lab: Lab): (where: string, m: Medium, label: string) => Promise<MediaPeerProcess> {
  const peers: MediaPeerProcess[] = [];
  t.after(() => Promise.all(peers.map((p) => p.stop())));
  return async (where, m, label) => {
    const p = await startMediaPeer(lab, where, m, label);
    peers.push(p);
    return p;
  };
}

test('bcast keeps interfaces apart: a broadcast on eth1 reaches the eth1 medium only', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'socat'])) return;
  const lab = await twoNodes(t, 'mcbc2if');
  await addLink(lab, { node: 'alpha', ifname: 'eth1', address: '203.0.113.11/24' }, { node: 'bravo', ifname: 'eth1', address: '203.0.113.12/24' });
  const start = peerPool(t, lab);
  const bcast = (iface: string): Medium => ({ kind: 'bcast', iface, port: PORT });
  const rx0 = await start('bravo', bcast('eth0'), 'bravo eth0');
  const rx1 = await start('bravo', bcast('eth1'), 'bravo eth1');
  const tx0 = await start('alpha', bcast('eth0'), 'alpha eth0');
  const tx1 = await start('alpha', bcast('eth1'), 'alpha eth1');
  // Control: a socket bound to 0.0.0.0:694, as Heartbeat's bcast read child without SO_BINDTODEVICE.
  const any = lab.start('bravo', ['socat', '-d', '-d', '-u', `UDP4-RECV:${PORT},reuseaddr`, 'STDOUT']);
  await any.waitForOutput(/starting data transfer loop/, 5000);

  // Each step waits for its frame where it must arrive. A broadcast is queued to every matching socket in
  // one pass, so once the eth0 medium has read the later eth0 frame, an eth1 frame it had matched would
  // already be in its queue ahead of it: the absence checks below need no sleep.
  tx1.send(text('on-eth1-first\n'));
  await rx1.log.waitFor((f) => texts(f).includes('on-eth1-first\n'), 'eth1 frame at bravo eth1');
  tx0.send(text('on-eth0\n'));
  await rx0.log.waitFor((f) => texts(f).includes('on-eth0\n'), 'eth0 frame at bravo eth0');
  tx1.send(text('on-eth1-second\n'));
  await rx1.log.waitFor((f) => texts(f).includes('on-eth1-second\n'), 'second eth1 frame at bravo eth1');

  assert.deepEqual(texts(rx0.log.frames), ['on-eth0\n'], 'the eth0 medium heard eth1 traffic');
  assert.deepEqual(texts(rx1.log.frames), ['on-eth1-first\n', 'on-eth1-second\n'], 'the eth1 medium heard eth0 traffic');
  // The control socket hears both interfaces: why the medium binds the broadcast address and not 0.0.0.0.
  await any.waitForOutput(/on-eth1-first\n[^]*on-eth0\n[^]*on-eth1-second\n/, 5000);
  await any.stop(1000);
  for (const p of [rx0, rx1, tx0, tx1]) assert.deepEqual(p.log.problems, [], `${p.label} reported problems`);
});

test('UDP media drop frames over 256 KiB with one rate-limited problem line, and report send errors', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  const lab = await twoNodes(t, 'mcbig');
  const start = peerPool(t, lab);
  const a = await start('alpha', { kind: 'bcast', iface: 'eth0', port: PORT }, 'alpha');
  const b = await start('bravo', { kind: 'bcast', iface: 'eth0', port: PORT }, 'bravo');
  for (let i = 0; i < 3; i++) a.send(Buffer.alloc(300 * 1024, 0x41));
  await a.settled();
  // Refused before any socket call and reported in a microtask right after send(): all three before `synced`.
  assert.equal(a.log.problems.filter((p) => /larger than 262144/.test(p)).length, 1, a.log.problems.join('\n'));
  assert.match(a.log.problems[0] ?? '', /^bcast eth0: dropped a 307200-byte frame/);
  // Under 256 KiB but over UDP's 65507-byte limit: the kernel refuses it, the medium says so.
  a.send(Buffer.alloc(100 * 1024, 0x42));
  await a.log.waitForProblem(/EMSGSIZE/);
  a.send(text('marker\n'));
  await b.log.waitFor((f) => texts(f).includes('marker\n'), 'marker at bravo');
  assert.deepEqual(texts(b.log.frames), ['marker\n'], 'bravo got a refused frame');
});

// Several `ucast eth0 <peer>` lines in one daemon: they share one receive socket; each datagram reaches one
// of them (the earliest started that is still open), and the rest keep receiving when that one closes.
// Two media in one process are needed, so this runs a small module inside alpha rather than media-peer.
const UCAST_SHARED_SCRIPT = `
const { UcastMedium } = await import(process.argv[1]);
const [selfIp, otherIp, port] = process.argv.slice(2);
const got = { first: [], second: [] };
const waiters = [];
const listener = (name) => ({
  frame: (b) => { got[name].push(Buffer.from(b).toString('latin1')); waiters.forEach((w) => w()); },
  problem: (p) => process.stderr.write(name + ' problem: ' + p + '\\n'),
});
const until = (pred, what) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no ' + what + ' within 5000 ms: ' + JSON.stringify(got))), 5000);
  const w = () => { if (pred()) { clearTimeout(timer); resolve(); } };
  waiters.push(w); w();
});
const message = { fields: [] };
const first = new UcastMedium({ iface: 'eth0', peer: otherIp, port: Number(port) });
const second = new UcastMedium({ iface: 'eth0', peer: selfIp, port: Number(port) });
await first.start(listener('first'));
await second.start(listener('second'));
second.send({ packet: Buffer.from('one'), message });
await until(() => got.first.length + got.second.length >= 1, 'frame one');
await first.close();
second.send({ packet: Buffer.from('two'), message });
await until(() => got.second.includes('two'), 'frame two');
second.send({ packet: Buffer.from('three'), message });
await until(() => got.second.includes('three'), 'frame three');
await second.close();
process.stdout.write(JSON.stringify(got) + '\\n');
`;

test('ucast: two lines on one interface coexist, each datagram delivered once', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  const lab = await twoNodes(t, 'mcucsh');
  const alpha = lab.node('alpha');
  const modulePath = path.join(distDir, 'src', 'media', 'ucast.js');
  const r = await lab.exec(
    'alpha',
    [process.execPath, '--input-type=module', '-e', UCAST_SHARED_SCRIPT, pathToFileURL(modulePath).href, alpha.ip, lab.node('bravo').ip, String(PORT)],
    { timeoutMs: 15_000 },
  );
  assert.equal(r.exitCode, 0, `script failed (${r.exitCode}): ${r.stderr}`);
  assert.deepEqual(JSON.parse(r.stdout), { first: ['one'], second: ['two', 'three'] });
});

test('UDP media refuse to start on an interface without an IPv4 address, saying so', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  const lab = await twoNodes(t, 'mcnoaddr');
  // A veth pair inside alpha with no address: it exists (so not "no such interface") but has no IPv4.
  await runOk(['ip', '-n', lab.node('alpha').netns, 'link', 'add', 'noaddr0', 'type', 'veth', 'peer', 'name', 'noaddr1']);
  const media: Medium[] = [
    { kind: 'bcast', iface: 'noaddr0', port: PORT },
    { kind: 'ucast', iface: 'noaddr0', peer: lab.node('bravo').ip, port: PORT },
    { kind: 'mcast', iface: 'noaddr0', group: MCAST_GROUP, port: MCAST_PORT, ttl: 1, loop: 0 },
  ];
  for (const m of media) {
    await assert.rejects(startMediaPeer(lab, 'alpha', m), (err: Error) => {
      assert.equal(err.message, `${m.kind} noaddr0: interface has no IPv4 address`);
      return true;
    });
  }
});
