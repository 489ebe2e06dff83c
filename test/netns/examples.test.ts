// The shipped example configuration (etc-ha.d/) passes `--check-config`, and the real Heartbeat 3.0.6 accepts it too.
//
// Both run in fresh namespaces with a veth eth0 (the example broadcasts on eth0); /dev/ttyS0 comes from the host.
// The one intended difference: the example respawns /usr/lib/heartbeat/ipfail, the path in countless existing
// files, which heartbeat-ts resolves to its own ipfail; Debian's daemon wants its own path, so the real run
// gets a copy with the line pointing at /usr/libexec/heartbeat/ipfail — and must reject the unchanged file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ourVerdict, realVerdict, REAL_HEARTBEAT } from '../helpers/config-verdict.js';
import { repoRoot } from '../helpers/paths.js';
import { isCi, requireRootAndCommands } from '../helpers/privileges.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-examples-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function copyExamples(name: string, edit: (haCf: string) => string = (s) => s): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
  for (const f of ['ha.cf', 'haresources', 'authkeys']) fs.copyFileSync(path.join(repoRoot, 'etc-ha.d', f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'ha.cf'), edit(fs.readFileSync(path.join(dir, 'ha.cf'), 'utf8')));
  fs.chmodSync(path.join(dir, 'authkeys'), 0o600); // git keeps no modes; the README says chmod 600
  return dir;
}

function haveSerial(t: { skip: (m: string) => void }): boolean {
  if (fs.existsSync('/dev/ttyS0')) return true;
  if (isCi()) assert.fail('/dev/ttyS0 is missing: the example configuration names it');
  t.skip('no /dev/ttyS0 on this host');
  return false;
}

test('etc-ha.d passes heartbeat --check-config on both nodes', async (t) => {
  if (!requireRootAndCommands(t, ['unshare', 'ip', 'mount', 'user:hacluster', 'group:haclient']) || !haveSerial(t)) return;
  const dir = copyExamples('ours');
  for (const node of ['alpha', 'bravo']) {
    const v = await ourVerdict(dir, node);
    assert.equal(v.verdict, 'accept', `${node}:\n${v.output}`);
  }
});

test('Heartbeat 3.0.6 accepts etc-ha.d with Debian\'s ipfail path, and refuses the missing /usr/lib path', async (t) => {
  if (!requireRootAndCommands(t, ['unshare', 'ip', 'mount', REAL_HEARTBEAT, 'user:hacluster', 'group:haclient']) || !haveSerial(t)) return;
  const debian = copyExamples('real', (s) => s.replace('/usr/lib/heartbeat/ipfail', '/usr/libexec/heartbeat/ipfail'));
  const real = await realVerdict(debian, 'alpha');
  assert.equal(real.verdict, 'accept', real.output);
  if (!fs.existsSync('/usr/lib/heartbeat/ipfail')) {
    const unchanged = await realVerdict(copyExamples('real-unchanged'), 'alpha');
    assert.equal(unchanged.verdict, 'reject', unchanged.output);
    assert.match(unchanged.output, /\/usr\/lib\/heartbeat\/ipfail/);
  }
});
