// heartbeat-ts's log against the real Heartbeat 3.0.6's, scenario by scenario (issue 24).
//
//   lab "real": [alpha] [bravo] Heartbeat 3.0.6, haresources `alpha hbts-res::web`, auto_failback on
//   lab "ours": the same with heartbeat-ts on both nodes
// Both pairs go through the same phases (log-scenario.ts): both started at once, hb_standby and hb_takeover on
// alpha, crash of alpha, failback, clean stop of alpha, then of bravo. For each phase and node, every line the
// real daemon wrote (normalized: time, pids, node names, addresses, numbers masked) must be in heartbeat-ts's
// log of the same phase, unless test/fixtures/log-lines/deviations.json (shown in docs/logging.md) excuses it;
// the start-up, takeover, standby and shutdown lines both wrote must come in the same order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createLab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { NODES, PHASES, runLogScenario, writeScenarioConfig, type Kind, type PhaseLogs } from '../helpers/log-scenario.js';
import { diffLines, loadDeviations, MILESTONES, normalizeLog, orderProblems } from '../helpers/log-lines.js';

test('log lines: heartbeat-ts writes the real Heartbeat 3.0.6 lines at the same moments', { timeout: 600_000 }, async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', '/usr/libexec/heartbeat/heartbeat'])) return;
  const deviations = loadDeviations();
  const say = (text: string): void => void process.stdout.write(`# ${text}\n`);
  const run = async (kind: Kind): Promise<PhaseLogs> => {
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: `ll${kind}`, bridgeAddress: null });
    writeScenarioConfig(lab);
    return runLogScenario(lab, kind, say);
  };
  // One pair after the other: the machine is shared, and the real daemon's timers are short.
  const real = await run('real');
  const ours = await run('ours');
  const out = process.env['HBTS_LOG_LINES_DIR'];
  if (out !== undefined && out !== '') {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(`${out}/real.json`, JSON.stringify(real, null, 1));
    fs.writeFileSync(`${out}/ours.json`, JSON.stringify(ours, null, 1));
  }
  const problems: string[] = [];
  let compared = 0;
  for (const phase of PHASES) {
    for (const node of NODES) {
      const r = normalizeLog(real[phase][node], NODES);
      const o = normalizeLog(ours[phase][node], NODES);
      compared += new Set(r).size;
      const d = diffLines(r, o, deviations);
      for (const line of d.missing) problems.push(`${phase}, ${node}: missing or reworded: ${line}`);
      const order = orderProblems(r, o, MILESTONES);
      if (order !== undefined) problems.push(`${phase}, ${node}: milestones out of order\n${order}`);
      say(`${phase}, ${node}: ${new Set(r).size} distinct real line(s), ${d.excused.length} excused, ${d.missing.length} missing; ${d.extra.length} line(s) of our own`);
    }
  }
  say(`${compared} real line(s) compared, ${problems.length} problem(s)`);
  assert.deepEqual(problems, []);
});
