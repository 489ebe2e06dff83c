// `hbctl to-pacemaker`'s pure core on every config set Heartbeat accepts (and a few richer inputs): golden files.
//
// UPDATE_GOLDEN=1 node --test dist/test/unit/to-pacemaker.test.js rewrites test/fixtures/to-pacemaker/<set>/;
// review the diff before committing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { convertibles, convertSet, GOLDEN_DIR } from '../helpers/to-pacemaker.js';
import { tokenTimes } from '../../src/pacemaker/render-corosync.js';
import { MONITORS_CODES, parseMonitors } from '../../src/pacemaker/monitors.js';
import { toPrefixLength } from '../../src/pacemaker/agents.js';
import { convert } from '../../src/pacemaker/convert.js';
import { fakeHost } from '../../src/config/host-facts.js';
import { FIXED_SCRIPTS } from '../helpers/to-pacemaker.js';

const update = process.env['UPDATE_GOLDEN'] === '1';
const all = convertibles();

test('there is something to convert: every accepted config set and the extra inputs', () => {
  assert.ok(all.filter((c) => !c.extra).length >= 60, `only ${all.length} sets`);
  assert.ok(all.some((c) => c.extra));
});

for (const c of all) {
  test(`to-pacemaker ${c.name}: output matches the golden files and is deterministic`, () => {
    const r = convertSet(c);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.deepEqual(r.files.map(([n]) => n), ['corosync.conf', 'cib.xml', 'crm.txt', 'pcs.sh', 'NOTES.txt']);
    assert.deepEqual(convertSet(c), r, 'a second conversion differs');
    const dir = path.join(GOLDEN_DIR, c.name);
    if (update) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, text] of r.files) fs.writeFileSync(path.join(dir, name), text);
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), r.files.map(([n]) => n).sort(), `golden files of ${c.name}`);
    for (const [name, text] of r.files) assert.equal(text, fs.readFileSync(path.join(dir, name), 'utf8'), `${c.name}/${name}`);
  });
}

test('token and consensus: token + consensus ≈ deadtime, consensus ≥ 1.2 × token, token at least 1 s', () => {
  for (const deadtimeMs of [2200, 5000, 10_000, 30_000, 60_000]) {
    const { tokenMs, consensusMs } = tokenTimes(deadtimeMs);
    assert.ok(consensusMs >= 1.2 * tokenMs);
    assert.ok(Math.abs(tokenMs + consensusMs - deadtimeMs) <= 2, `${deadtimeMs}: ${tokenMs} + ${consensusMs}`);
  }
  assert.deepEqual(tokenTimes(30_000), { tokenMs: 13636, consensusMs: 16364 });
  assert.deepEqual(tokenTimes(1500), { tokenMs: 1000, consensusMs: 1200 });
});

test('netmasks: dotted masks become prefix lengths; nonsense is flagged', () => {
  assert.deepEqual(toPrefixLength('255.255.255.0'), { value: '24', ok: true });
  assert.deepEqual(toPrefixLength('255.255.255.255'), { value: '32', ok: true });
  assert.deepEqual(toPrefixLength('24'), { value: '24', ok: true });
  assert.equal(toPrefixLength('255.0.255.0').ok, false);
  assert.equal(toPrefixLength('33').ok, false);
});

test('monitors: issue 17 lines parse; unknown keys and bad values are warnings naming the line', () => {
  const r = parseMonitors('# c\nhttpd interval=5 timeout=500ms restarts=0 forget=60 fall=3 check=curl -f http://x/ a=b\n\nweb interval=5x\nweb x=1\nhttpd interval=1\n', 'monitors');
  assert.deepEqual(r.monitors, [{ resource: 'httpd', intervalMs: 5000, timeoutMs: 500, fall: 3, restarts: 0, forgetMs: 60_000, check: 'curl -f http://x/ a=b', checkArgv: ['curl', '-f', 'http://x/', 'a=b'], line: 2 }]);
  assert.deepEqual(r.diagnostics.map((d) => `${d.line} ${d.severity} ${d.message}`), [
    '4 warning interval "5x" is not a time value above zero (write 5 for seconds or 500ms); line ignored',
    '5 warning unknown option "x" (expected interval, timeout, fall, restarts, forget or check); line ignored',
    '6 warning httpd has a monitors line already (line 2); line ignored',
  ]);
});

test('invalid input gives the --check-config diagnostics and no files', () => {
  const r = convert({
    files: {
      haCf: { path: 'ha.cf', text: 'bcast eth0\nnode alpha\nnode bravo\ncrm on\n' },
      haresources: { path: 'haresources', text: '' },
      authkeys: { path: 'authkeys', text: 'auth 1\n1 crc\n', mode: 0o600 },
    },
    monitors: undefined, nodeName: 'alpha', host: fakeHost({}), scripts: FIXED_SCRIPTS, addresses: new Map(), format: 'all', source: 'x',
  });
  assert.deepEqual(r.files, []);
  const crm = r.diagnostics.find((d) => d.code === 'HA_CFG_PACEMAKER');
  assert.ok(crm !== undefined && crm.line === 4 && crm.message.includes('hbctl to-pacemaker'), JSON.stringify(r.diagnostics));
});

test('--format chooses the files; corosync.conf and NOTES.txt always come', () => {
  const files = { haCf: { path: 'ha.cf', text: 'bcast eth0\nnode alpha\nnode bravo\n' }, haresources: { path: 'haresources', text: 'alpha 198.51.100.10\n' },
    authkeys: { path: 'authkeys', text: 'auth 1\n1 crc\n', mode: 0o600 } };
  const names = (format: 'cib' | 'crmsh' | 'pcs') => convert({ files, monitors: undefined, nodeName: 'alpha', host: fakeHost({}), scripts: FIXED_SCRIPTS, addresses: new Map(), format, source: 'x' }).files.map(([n]) => n);
  assert.deepEqual(names('cib'), ['corosync.conf', 'cib.xml', 'NOTES.txt']);
  assert.deepEqual(names('crmsh'), ['corosync.conf', 'crm.txt', 'NOTES.txt']);
  assert.deepEqual(names('pcs'), ['corosync.conf', 'pcs.sh', 'NOTES.txt']);
});

test('docs/pacemaker.md shows the worked example exactly as the converter writes it', () => {
  const doc = fs.readFileSync(path.join(GOLDEN_DIR, '..', '..', '..', 'docs', 'pacemaker.md'), 'utf8');
  const golden = (f: string): string => fs.readFileSync(path.join(GOLDEN_DIR, 'input-example', f), 'utf8').trimEnd();
  const notes = golden('NOTES.txt');
  for (const block of [golden('corosync.conf'), golden('crm.txt'), notes.slice(notes.indexOf('RUNBOOK'))]) {
    assert.ok(doc.includes(`\n${block}\n`), `docs/pacemaker.md lacks:\n${block.slice(0, 200)}`);
  }
});

test('the monitors diagnostics codes are stable', () => {
  assert.deepEqual([...MONITORS_CODES], ['PCMK_MONITORS_LINE', 'PCMK_MONITORS_UNKNOWN_RESOURCE', 'PCMK_MONITORS_UNREADABLE']);
  const r = convert({
    files: { haCf: { path: 'ha.cf', text: 'bcast eth0\nnode alpha\nnode bravo\n' }, haresources: { path: 'haresources', text: 'alpha 198.51.100.10\n' },
      authkeys: { path: 'authkeys', text: 'auth 1\n1 crc\n', mode: 0o600 } },
    monitors: { path: 'monitors', text: 'httpd interval=5\n198.51.100.10 interval=x\n' },
    nodeName: 'alpha', host: fakeHost({}), scripts: FIXED_SCRIPTS, addresses: new Map(), format: 'cib', source: 'x',
  });
  assert.deepEqual(r.diagnostics.filter((d) => d.file === 'monitors').map((d) => `${d.file}:${d.line} ${d.code}`), ['monitors:2 PCMK_MONITORS_LINE', 'monitors:1 PCMK_MONITORS_UNKNOWN_RESOURCE']);
  assert.ok((r.files.find(([n]) => n === 'NOTES.txt')?.[1] ?? '').includes('"httpd" is not a resource in haresources'));
  const unreadable = convert({
    files: { haCf: { path: 'ha.cf', text: 'bcast eth0\nnode alpha\nnode bravo\n' }, haresources: { path: 'haresources', text: '' },
      authkeys: { path: 'authkeys', text: 'auth 1\n1 crc\n', mode: 0o600 } },
    monitors: { path: 'monitors', text: undefined, error: 'permission denied' },
    nodeName: 'alpha', host: fakeHost({}), scripts: FIXED_SCRIPTS, addresses: new Map(), format: 'cib', source: 'x',
  });
  assert.deepEqual(unreadable.files, []);
  assert.deepEqual(unreadable.diagnostics.filter((d) => d.file === 'monitors').map((d) => `${d.code} ${d.severity} ${d.message}`), ['PCMK_MONITORS_UNREADABLE error cannot read monitors: permission denied']);
});

test('the output does not depend on which node of the pair runs the conversion', () => {
  for (const c of all.filter((x) => ['classic-pair', 'stonith-host-other-node', 'ucast', 'input-rich', 'input-example'].includes(x.name))) {
    const asAlpha = convertSet({ ...c, node: 'alpha' });
    const asBravo = convertSet({ ...c, node: 'bravo' });
    assert.ok(asAlpha.files.length > 0 && asBravo.files.length > 0, c.name);
    assert.deepEqual(asBravo.files, asAlpha.files, c.name);
  }
});
