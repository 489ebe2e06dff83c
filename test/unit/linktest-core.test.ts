// hbctl test-links' judgement (src/linktest/core.ts): two simulated nodes exchange signed probes over media
// that can drop a direction, corrupt the keys or carry noise; each side's verdicts and sentences are checked.
import assert from 'node:assert/strict';
import test from 'node:test';
import { LinkTest, LINGER_PROBES, type LinkResult, type LinkTestMedium } from '../../src/linktest/core.js';
import { encodeClassic, encodeNetstring, latin1, makeMessage, signMessage, singleKey, type AuthKeys } from '../../src/wire/index.js';

const ETH0: LinkTestMedium = { name: 'bcast:eth0', describe: 'bcast eth0 (UDP port 694)', kind: 'bcast' };
const TTY: LinkTestMedium = { name: 'serial:/dev/ttyS0', describe: 'serial /dev/ttyS0 (19200 baud)', kind: 'serial' };
const KEY = singleKey('sha1', 'secret one');

interface Node {
  readonly name: string;
  readonly test: LinkTest;
  readonly keys: AuthKeys;
}

function node(name: string, peer: string, media: readonly LinkTestMedium[], keys: AuthKeys = KEY): Node {
  return { name, keys, test: new LinkTest({ localNode: name, peers: [peer], media, keys, authkeysPath: '/etc/ha.d/authkeys' }) };
}

function signed(fields: [string, string][], keys: AuthKeys, serial: boolean): Uint8Array {
  const m = signMessage(makeMessage(fields), keys);
  assert.ok(m.ok);
  const bytes = serial ? encodeClassic(m.value) : encodeNetstring(m.value, keys, { keepInnerAuth: true });
  assert.ok(bytes.ok);
  return bytes.value;
}

/** A medium's two directions: does a frame from `from` reach the other node? */
type Pass = (from: string, medium: string) => boolean;

/** Rounds of probes until both sides may stop (or `rounds` is reached); returns how many rounds ran. */
function run(a: Node, b: Node, media: readonly LinkTestMedium[], pass: Pass, rounds = 40): number {
  let doneA = false;
  let doneB = false;
  for (let r = 1; r <= rounds; r++) {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const m of media) {
        const fields = from.test.probe(m.name);
        if (fields === undefined) continue;
        const bytes = signed(fields, from.keys, m.kind === 'serial');
        // A broadcast loops back to its sender; the core must ignore its own probes.
        if (m.kind === 'bcast') from.test.frame(m.name, bytes);
        if (pass(from.name, m.name)) to.test.frame(m.name, bytes);
      }
    }
    doneA ||= a.test.roundDone();
    doneB ||= b.test.roundDone();
    if (doneA && doneB) return r;
  }
  return rounds;
}

function only(results: readonly LinkResult[], medium: string): LinkResult {
  const r = results.find((x) => x.medium === medium);
  assert.ok(r, `a result for ${medium}`);
  return r;
}

test('both media good both ways: ok on each side, and the test ends early (after the linger rounds)', () => {
  const a = node('alpha', 'bravo', [ETH0, TTY]);
  const b = node('bravo', 'alpha', [ETH0, TTY]);
  const rounds = run(a, b, [ETH0, TTY], () => true);
  assert.ok(rounds <= 2 + LINGER_PROBES + 1, `ended after ${rounds} rounds`);
  for (const n of [a, b]) {
    for (const r of n.test.results()) {
      assert.equal(r.verdict, 'ok', r.text);
      assert.match(r.text, /hears us and we hear .*keys agree/);
      assert.ok(r.heard > 0 && r.sent > 0);
    }
  }
});

test('different keys: both sides say the keys differ and name authkeys; nothing counts as heard', () => {
  const a = node('alpha', 'bravo', [ETH0]);
  const b = node('bravo', 'alpha', [ETH0], singleKey('sha1', 'another secret'));
  assert.equal(run(a, b, [ETH0], () => true, 8), 8, 'never confirmed, so it runs to the end');
  for (const n of [a, b]) {
    const r = only(n.test.results(), ETH0.name);
    assert.equal(r.verdict, 'keys-differ');
    assert.match(r.text, /fail authentication: .*signatures do not match our key.*copy \/etc\/ha\.d\/authkeys/);
    assert.equal(r.heard, 0);
  }
  // Another key index: the message says which index is missing.
  const c = node('alpha', 'bravo', [ETH0]);
  const d = node('bravo', 'alpha', [ETH0], singleKey('md5', 'x', 3));
  run(c, d, [ETH0], () => true, 4);
  assert.match(only(c.test.results(), ETH0.name).text, /signs with key index 3, which \/etc\/ha\.d\/authkeys does not have/);
});

test('a port blocked into bravo: alpha hears bravo but is not heard; bravo hears nothing but is heard (acks travel on the serial line)', () => {
  const a = node('alpha', 'bravo', [ETH0, TTY]);
  const b = node('bravo', 'alpha', [ETH0, TTY]);
  run(a, b, [ETH0, TTY], (from, m) => !(from === 'alpha' && m === ETH0.name), 10);
  const ra = only(a.test.results(), ETH0.name);
  assert.equal(ra.verdict, 'inbound-only');
  assert.match(ra.text, /we hear bravo, but bravo does not hear us.*bravo's firewall \(UDP port 694 inbound\)/);
  const rb = only(b.test.results(), ETH0.name);
  assert.equal(rb.verdict, 'outbound-only');
  assert.match(rb.text, /alpha hears us, but nothing from alpha arrives here.*this node's firewall \(UDP port 694 inbound\)/);
  assert.equal(only(a.test.results(), TTY.name).verdict, 'ok');
  assert.equal(only(b.test.results(), TTY.name).verdict, 'ok');
});

test('a dead serial cable: silent on both sides, with what to check; a device that cannot open says so', () => {
  const a = node('alpha', 'bravo', [ETH0, TTY]);
  const b = node('bravo', 'alpha', [ETH0, TTY]);
  b.test.openFailed(TTY.name, 'cannot open /dev/ttyS0: no such file or directory');
  run(a, b, [ETH0, TTY], (_from, m) => m !== TTY.name, 10);
  const ra = only(a.test.results(), TTY.name);
  assert.equal(ra.verdict, 'silent');
  assert.match(ra.text, /nothing from bravo, and bravo does not hear us.*null-modem cable/);
  const rb = only(b.test.results(), TTY.name);
  assert.equal(rb.verdict, 'cannot-open');
  assert.match(rb.text, /cannot be opened: cannot open \/dev\/ttyS0: no such file or directory\. Check the device name/);
  assert.equal(only(a.test.results(), ETH0.name).verdict, 'ok');
  assert.equal(rb.sent, 0, 'nothing is sent on a medium that did not open');
});

test('noise on a serial line points at the baud rate; a running daemon proves one direction; strangers are named', () => {
  const a = node('alpha', 'bravo', [TTY, ETH0]);
  a.test.frame(TTY.name, latin1('\x00\x7f>>>\ngarbage'));
  a.test.frame(TTY.name, latin1('>>>\nno end'));
  a.test.frame(ETH0.name, signed([['t', 'status'], ['st', 'active'], ['src', 'bravo']], KEY, false));
  a.test.frame(ETH0.name, signed([['t', 'status'], ['st', 'active'], ['src', 'charlie']], KEY, false));
  const rt = only(a.test.results(), TTY.name);
  assert.equal(rt.verdict, 'garbage');
  assert.match(rt.text, /2 frame\(s\) arrived that are not Heartbeat messages: .*different baud rates/);
  const re = only(a.test.results(), ETH0.name);
  assert.equal(re.verdict, 'daemon-running');
  assert.match(re.text, /we hear bravo's heartbeat daemon \(keys agree\).*stop heartbeat on bravo/);
  const c = node('alpha', 'bravo', [ETH0]);
  c.test.frame(ETH0.name, signed([['t', 'hbts-linktest'], ['src', 'charlie'], ['medium', 'bcast:eth0'], ['n', '1'], ['heard', '']], KEY, false));
  assert.match(only(c.test.results(), ETH0.name).text, /Heard instead: charlie \(not in ha\.cf/);
});

test('acknowledgements name the medium they confirm: a bare probe with a forged ack for another medium confirms only that one', () => {
  const a = node('alpha', 'bravo', [ETH0, TTY]);
  for (let i = 0; i < 3; i++) {
    a.test.probe(ETH0.name);
    a.test.probe(TTY.name);
  }
  a.test.frame(ETH0.name, signed([['t', 'hbts-linktest'], ['src', 'bravo'], ['medium', 'bcast:eth0'], ['n', '1'], ['heard', 'alpha bcast:eth0 2,zulu serial:/dev/ttyS0 1']], KEY, false));
  assert.equal(only(a.test.results(), ETH0.name).verdict, 'ok');
  assert.equal(only(a.test.results(), TTY.name).verdict, 'silent');
  assert.equal(a.test.allConfirmed(), false);
});
