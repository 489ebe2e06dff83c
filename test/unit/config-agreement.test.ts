// Issue 22: one configuration on both nodes — the announced digests (config/config-digest.ts), the pure verdict
// (node/config-agreement.ts), and a simulated pair of coordinators warning about a differing group line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_FIELD, configDigests, configFacts, decodeConfigField, encodeConfigField, type ConfigFacts } from '../../src/config/config-digest.js';
import { ConfigAgreement, compareConfig } from '../../src/node/config-agreement.js';
import { singleKey } from '../../src/wire/index.js';
import { getString } from '../../src/wire/message.js';
import { NodeSim } from '../helpers/node-sim.js';

const BASE: ConfigFacts = {
  groupLines: ['alpha IPaddr2::198.51.100.100/24/eth0 httpd', 'bravo IPaddr2::198.51.100.101/24/eth0'],
  authMethod: 'auth 1 sha1',
  timing: 'keepalive=100 deadtime=1000 warntime=500 initdead=2000',
};
const field = (f: ConfigFacts): string => encodeConfigField(configDigests(f));

test('the field: version 1, one 8-hex digest per group line, authkeys method and timing; decoded back; anything else is unknown', () => {
  const text = field(BASE);
  assert.match(text, /^1;h=[0-9a-f]{8},[0-9a-f]{8};a=[0-9a-f]{8};t=[0-9a-f]{8}$/);
  assert.deepEqual(decodeConfigField(text), configDigests(BASE));
  assert.deepEqual(decodeConfigField(field({ ...BASE, groupLines: [] }))?.haresources, []);
  for (const bad of [undefined, '', '2;h=;a=00000000;t=00000000', '1;h=xyz;a=00000000;t=00000000', `${text};x=1`]) assert.equal(decodeConfigField(bad), undefined, String(bad));
});

test('configFacts: the group lines as parsed, the method in force without its key, the timing in ms', () => {
  const facts = configFacts({
    resourceGroups: [{ node: 'alpha', line: 3, resources: [{ spec: 'IPaddr2::198.51.100.100/24/eth0', script: 'IPaddr2', args: ['198.51.100.100/24/eth0'] }, { spec: 'httpd', script: 'httpd', args: [] }] }],
    authKeys: singleKey('sha1', 'TopSecretKey'),
    keepaliveMs: 100, deadtimeMs: 1000, warntimeMs: 500, initdeadMs: 2000,
  });
  assert.deepEqual(facts.groupLines, ['alpha IPaddr2::198.51.100.100/24/eth0 httpd']);
  assert.match(facts.authMethod, /^auth \d+ sha1$/);
  assert.doesNotMatch(JSON.stringify(facts), /TopSecretKey/);
  assert.equal(facts.timing, 'keepalive=100 deadtime=1000 warntime=500 initdead=2000');
});

test('compareConfig: same; a differing group line named on both sides; authkeys and timing; order; no field → unknown', () => {
  assert.deepEqual(compareConfig(BASE, 'bravo', decodeConfigField(field(BASE))), { verdict: 'same', differences: [] });
  const other = { ...BASE, groupLines: ['alpha IPaddr2::198.51.100.100/24/eth0 httpd', 'bravo IPaddr2::198.51.100.102/24/eth0'] };
  const d = compareConfig(BASE, 'bravo', decodeConfigField(field(other)));
  assert.equal(d.verdict, 'differs');
  assert.deepEqual(d.differences, [
    { file: 'haresources', text: 'group line 2 "bravo IPaddr2::198.51.100.101/24/eth0" is not in bravo\'s haresources' },
    { file: 'haresources', text: 'bravo\'s group line 2 is not in our haresources' },
  ]);
  assert.deepEqual(compareConfig(BASE, 'bravo', decodeConfigField(field({ ...BASE, authMethod: 'auth 1 md5' }))).differences.map((x) => x.file), ['authkeys']);
  assert.deepEqual(compareConfig(BASE, 'bravo', decodeConfigField(field({ ...BASE, timing: 'keepalive=200 deadtime=1000 warntime=500 initdead=2000' }))).differences.map((x) => x.file), ['ha.cf']);
  const swapped = compareConfig(BASE, 'bravo', decodeConfigField(field({ ...BASE, groupLines: [...BASE.groupLines].reverse() })));
  assert.match(swapped.differences[0]?.text ?? '', /another order/);
  assert.deepEqual(compareConfig(BASE, 'bravo', undefined), { verdict: 'unknown', differences: [] });
});

test('ConfigAgreement logs once per change: differs (one warn per difference), the same again (nothing), fixed (info), unknown (info once)', () => {
  const a = new ConfigAgreement(BASE);
  const other = field({ ...BASE, timing: 'keepalive=200 deadtime=1000 warntime=500 initdead=2000' });
  assert.deepEqual(a.observe('bravo', field(BASE)), [], 'matching from the start: nothing to say');
  const w = a.observe('bravo', other);
  assert.deepEqual(w.map((l) => l.level), ['warn']);
  assert.match(w[0]?.text ?? '', /^Configuration of node bravo differs: ha\.cf: timing directives differ on bravo/);
  assert.deepEqual(a.observe('bravo', other), [], 'logged once, not at every status');
  assert.deepEqual(a.observe('bravo', field(BASE)).map((l) => l.text), ['Configuration of node bravo now matches ours (haresources, authkeys method, ha.cf timing)']);
  const u = a.observe('charlie', undefined);
  assert.equal(u.length, 1);
  assert.match(u[0]?.text ?? '', /^Configuration of node charlie: unknown/);
  assert.deepEqual(a.observe('charlie', undefined), []);
  assert.deepEqual(a.view().map((p) => `${p.node}=${p.verdict}`), ['bravo=same', 'charlie=unknown']);
  // Our own reload to bravo's timing: bravo now differs… no: it now matches the other field; re-compared at once.
  a.observe('bravo', other);
  const after = a.setLocal({ ...BASE, timing: 'keepalive=200 deadtime=1000 warntime=500 initdead=2000' });
  assert.deepEqual(after.logs.map((l) => l.level), ['info']);
  assert.deepEqual(after.changed.map((p) => `${p.node}=${p.verdict}`), ['bravo=same'], 'charlie (unknown) did not change');
  assert.equal(a.view().find((p) => p.node === 'bravo')?.verdict, 'same');
});

test('a simulated pair with one differing group line: both warn within 2 keepalives of comm-up; a peer announcing nothing is unknown', () => {
  const lines: Record<string, ConfigFacts> = {
    alpha: BASE,
    bravo: { ...BASE, groupLines: ['alpha IPaddr2::198.51.100.100/24/eth0 httpd', 'bravo IPaddr2::198.51.100.109/24/eth0'] },
  };
  const sim = new NodeSim({ names: ['alpha', 'bravo'], config: (n) => lines[n] });
  sim.start();
  sim.advance(3000);
  for (const [me, peer] of [['alpha', 'bravo'], ['bravo', 'alpha']] as const) {
    const comm = sim.effectsOf(me, 'comm-up');
    assert.equal(comm.length, 1, `${me} came up`);
    const warns = sim.node(me).effects.filter((e) => e.effect.kind === 'log' && e.effect.level === 'warn' && e.effect.text.startsWith(`Configuration of node ${peer} differs`));
    assert.equal(warns.length, 2, `${me}: our line missing there, theirs missing here`);
    const heardAt = sim.node(me).effects.find((e) => e.effect.kind === 'observe' && e.effect.action.kind === 'node-status' && e.effect.action.node === peer)?.atMs ?? Number.NaN;
    assert.ok((warns[0]?.atMs ?? Infinity) - heardAt <= 2 * 100, `${me} warned ${(warns[0]?.atMs ?? NaN) - heardAt} ms after first hearing ${peer}`);
    assert.equal(sim.node(me).coordinator.configAgreement()[0]?.verdict, 'differs');
    assert.equal(sim.effectsOf(me, 'config-agreement').length, 1);
  }
  const sent = sim.node('alpha').effects.find((e) => e.effect.kind === 'send-frame' && e.effect.status);
  assert.ok(sent !== undefined && sent.effect.kind === 'send-frame');
  assert.equal(getString(sent.effect.message, CONFIG_FIELD), field(BASE));

  const mixed = new NodeSim({ names: ['alpha', 'bravo'], config: (n) => (n === 'alpha' ? BASE : undefined) });
  mixed.start();
  mixed.advance(3000);
  assert.deepEqual(mixed.node('alpha').coordinator.configAgreement().map((p) => p.verdict), ['unknown']);
  assert.ok(!mixed.node('alpha').effects.some((e) => e.effect.kind === 'log' && e.effect.level === 'warn' && /Configuration/.test(e.effect.text)));
  assert.deepEqual(mixed.node('bravo').coordinator.configAgreement(), [], 'a node without digests of its own compares nothing');
});

test('a reload (reconfigure) to the peer\'s timing: the coordinator compares again and says it now matches; the peer sees our new digests', () => {
  const slow = { ...BASE, timing: 'keepalive=100 deadtime=1500 warntime=500 initdead=2000' };
  const facts: Record<string, ConfigFacts> = { alpha: BASE, bravo: slow };
  const sim = new NodeSim({ names: ['alpha', 'bravo'], config: (n) => facts[n] });
  sim.start();
  sim.advance(3000);
  assert.equal(sim.node('alpha').coordinator.configAgreement()[0]?.verdict, 'differs');
  const since = sim.nowMs;
  sim.step('alpha', {
    kind: 'reconfigure',
    membership: { keepaliveMs: 100, deadtimeMs: 1500, warntimeMs: 500, initdeadMs: 2000, deadpingMs: 1000, keys: singleKey('sha1', 'SomeKey'), configField: field(slow) },
    configFacts: slow,
  });
  assert.ok(sim.effectsOf('alpha', 'log', since).some((l) => l.text === 'Configuration of node bravo now matches ours (haresources, authkeys method, ha.cf timing)'));
  assert.deepEqual(sim.effectsOf('alpha', 'config-agreement', since).map((e) => e.agreement.verdict), ['same']);
  sim.advance(1000);
  assert.ok(sim.effectsOf('bravo', 'log', since).some((l) => l.text === 'Configuration of node alpha now matches ours (haresources, authkeys method, ha.cf timing)'), 'bravo heard the new digests');
});
