// crmsh loads every distinct crm.txt the converter writes, and the configuration it makes is cib.xml's.
//
// Both go through `crm configure show` (crmsh's own normal form: no ids of nvpairs or ops, its own order), with
// comments dropped: equal text means crm.txt and cib.xml say the same. crmsh runs on files only (CIB_file), with
// a private HOME whose crm.conf turns off its agent checks (this host need not have every agent the inputs
// name: drbd, systemd units). Needs crmsh and pacemaker-cli-utils; with CI=true a missing tool is a failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertibles, convertSet } from '../helpers/to-pacemaker.js';
import { requireCommands } from '../helpers/privileges.js';
import { EMPTY_STATUS_WARNINGS } from '../helpers/pacemaker-sim.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-crmsh-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const home = path.join(work, 'home');
fs.mkdirSync(path.join(home, '.config', 'crm'), { recursive: true });
fs.writeFileSync(path.join(home, '.config', 'crm', 'crm.conf'), '[core]\ncheck_frequency = never\n');

function crm(cibFile: string, args: readonly string[]): { status: number | null; out: string } {
  const r = spawnSync('crm', args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: home, CIB_file: cibFile } });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** `crm configure show` without comments and crmsh's warnings about the comments and the empty status. */
function show(cibFile: string): string {
  const r = crm(cibFile, ['configure', 'show']);
  assert.equal(r.status, 0, r.out);
  // eslint-disable-next-line no-control-regex
  return r.out.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => !l.startsWith('#') && !/WARNING|^\s*$/.test(l)).join('\n');
}

// Sets that differ only in comments give the same crm.txt: each distinct one once.
const distinct = new Map<string, { name: string; crmTxt: string; cibXml: string }>();
for (const c of convertibles()) {
  const files = new Map(convertSet(c).files);
  const crmTxt = files.get('crm.txt') ?? '';
  const key = crmTxt.split('\n').filter((l) => !l.startsWith('#')).join('\n');
  if (!distinct.has(key)) distinct.set(key, { name: c.name, crmTxt, cibXml: files.get('cib.xml') ?? '' });
}

test('there are several distinct crm.txt to load', () => assert.ok(distinct.size >= 10, String(distinct.size)));

for (const d of distinct.values()) {
  test(`crmsh loads crm.txt of ${d.name} into the configuration of its cib.xml`, (t) => {
    if (!requireCommands(t, ['crm', 'cibadmin'])) return;
    const dir = fs.mkdtempSync(path.join(work, `${d.name}-`));
    const empty = spawnSync('cibadmin', ['--empty'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(empty.status, 0, empty.stderr);
    const loaded = path.join(dir, 'loaded.xml');
    fs.writeFileSync(loaded, empty.stdout);
    fs.writeFileSync(path.join(dir, 'crm.txt'), d.crmTxt);
    const cib = path.join(dir, 'cib.xml');
    fs.writeFileSync(cib, d.cibXml);
    const load = crm(loaded, ['configure', 'load', 'update', path.join(dir, 'crm.txt')]);
    assert.equal(load.status, 0, `crm configure load update:\n${load.out}`);
    // crmsh runs crm_verify after the load and reports its output (as ERROR when not on a terminal): only the
    // warnings of a CIB without a status section may appear.
    // Agents the inputs name on purpose (to be flagged), which this host need not have, have no meta-data.
    const absent = /(lsb:NoSuchScript|lsb:nosuchservice|systemd:postfix|systemd:cron|ocf:linbit:drbd): (got no meta-data|no such resource agent)/;
    const findings = load.out.split('\n').filter((l) => /ERROR|WARNING/.test(l) && !absent.test(l) && !EMPTY_STATUS_WARNINGS.some((w) => w.test(l)));
    assert.deepEqual(findings, [], load.out);
    assert.equal(show(loaded), show(cib));
  });
}
