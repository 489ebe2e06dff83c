// Every measured config set, judged by the pure check with this host's facts faked as the verdict namespace has them.
//
// The netns tier (test/netns/config-verdicts.test.ts) is the real gate: the real daemon and our CLI side by side.
// This is its fast, root-free twin, so that a parser change that breaks a verdict fails in a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { checkConfig } from '../../src/config/check.js';
import { fakeHost } from '../../src/config/host-facts.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { loadConfigSets } from '../helpers/config-verdict.js';

const VERDICT_FACTS = {
  interfaces: ['lo', 'eth0'],
  files: {
    '/usr/libexec/heartbeat/ipfail': 'executable',
    '/usr/libexec/heartbeat': 'directory',
    '/etc/passwd': 'file',
    '/dev/null': 'char-device',
    '/dev/ttyS0': 'char-device',
  },
  users: ['root', 'hacluster', 'nobody'],
  groups: ['root', 'haclient', 'nogroup'],
} as const;

/** The verdict namespace: lo and eth0, Debian's heartbeat package, the usual users and devices. */
export const VERDICT_HOST = fakeHost(VERDICT_FACTS);
/** The same with eth0 up and addressed but without carrier (meta.carrier false). */
const NO_CARRIER_HOST = fakeHost({ ...VERDICT_FACTS, noCarrier: ['eth0'] });

function read(dir: string, name: string): string | undefined {
  const f = path.join(dir, name);
  return fs.existsSync(f) ? fs.readFileSync(f, 'latin1') : undefined;
}

for (const set of loadConfigSets()) {
  test(`config set ${set.name}: ${set.meta.verdict}`, () => {
    const r = checkConfig(
      {
        haCf: { path: 'ha.cf', text: read(set.dir, 'ha.cf') },
        haresources: { path: 'haresources', text: read(set.dir, 'haresources') },
        authkeys: { path: 'authkeys', text: read(set.dir, 'authkeys'), mode: parseInt(set.meta.mode, 8) },
      },
      set.meta.node,
      set.meta.carrier === false ? NO_CARRIER_HOST : VERDICT_HOST,
    );
    const out = r.diagnostics.map(formatDiagnostic).join('\n');
    // Without carrier Heartbeat starts; we start too, and say once per medium why nothing flows yet.
    if (set.meta.carrier === false) assert.match(out, /warning HA_CFG_LINK_DOWN: .*no carrier/, out);
    assert.equal(r.config === undefined ? 'reject' : 'accept', set.meta.verdict, `${set.meta.note}\n${out}`);
    if (set.meta.culprit !== undefined) assert.ok(out.includes(set.meta.culprit), `culprit ${set.meta.culprit} not named:\n${out}`);
  });
}
