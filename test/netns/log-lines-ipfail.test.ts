// heartbeat-ts's log against the real Heartbeat 3.0.6's (issue 24): ipfail — Heartbeat 3.0.6 with Debian's ipfail,
// heartbeat-ts with its own, `ping 198.51.100.1` (the lab's bridge), haresources `alpha hbts-res::web`; alpha loses
// its ping node (the group moves to bravo), then gets it back (home again). Both pairs go through the same phases
// (test/helpers/log-scenarios-more.ts); every line the real daemon and its ipfail wrote in a phase, normalized, must
// be in heartbeat-ts's log of that phase on the same node unless test/fixtures/log-lines/deviations.json excuses
// it, and the milestones both wrote must come in the same order (test/helpers/log-compare.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { REAL_IPFAIL } from '../helpers/ipfail-pair.js';
import { runIpfailScenario, writeIpfailScenarioConfig } from '../helpers/log-scenarios-more.js';
import { bothKinds, compare, say } from '../helpers/log-compare.js';

test('log lines: ipfail — the owner loses its ping node and gets it back — the real Heartbeat 3.0.6 lines at the same moments', { timeout: 600_000 }, async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'nft', 'ping', '/usr/libexec/heartbeat/heartbeat', REAL_IPFAIL])) return;
  const logs = await bothKinds(t, 'lip', (lab, kind) => runIpfailScenario(lab, kind, say), writeIpfailScenarioConfig, '198.51.100.1/24');
  assert.deepEqual(compare(logs.real, logs.ours, 'ipfail'), []);
});
