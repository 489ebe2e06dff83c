// Conformance: for every config set, the real Heartbeat 3.0.6 and `heartbeat --check-config` give the verdict in meta.json.
//
// Each set runs twice, each time in fresh PID+UTS+mount+net namespaces with hostname = meta.node and a veth
// eth0 at 198.51.100.11/24 (see helpers/config-verdict.ts): once `heartbeat -r` of the real daemon with the
// set bound on /etc/ha.d, once our CLI on the same copy. Both must match meta.verdict; for rejects both
// outputs must name meta.culprit (the real one only where it names anything: realNamesCulprit), and the real
// output must still contain meta.realSays, so the fixtures stay true to the daemon they describe.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CONFIG_FILES,
  REAL_HEARTBEAT,
  copyConfigSet,
  loadConfigSets,
  ourVerdict,
  realVerdict,
  type ConfigSet,
  type VerdictRun,
} from '../helpers/config-verdict.js';
import { mapLimit } from '../helpers/concurrency.js';
import { cliPath } from '../helpers/paths.js';
import { isCi, requireRootAndCommands } from '../helpers/privileges.js';

const CONCURRENCY = Math.max(2, Math.min(8, os.cpus().length));

test('config sets are well-formed', () => {
  const sets = loadConfigSets();
  assert.ok(sets.length >= 30, `only ${sets.length} config sets`);
  const accepts = sets.filter((s) => s.meta.verdict === 'accept').length;
  assert.ok(accepts >= 10 && sets.length - accepts >= 10, `${accepts} accepts, ${sets.length - accepts} rejects`);
  for (const s of sets) {
    const files = fs.readdirSync(s.dir).filter((f) => f !== 'meta.json');
    const stray = files.filter((f) => !(CONFIG_FILES as readonly string[]).includes(f));
    assert.deepEqual(stray, [], `${s.name} has files the verdict run would not copy`);
    assert.ok(files.includes('ha.cf') && files.includes('authkeys'), `${s.name} lacks ha.cf or authkeys`);
  }
});

/** Our CLI must be built: `npm test` builds before it runs the tests. */
function requireOurCli(): void {
  if (!fs.existsSync(cliPath('heartbeat'))) throw new Error(`${cliPath('heartbeat')} does not exist: run npm run build first`);
}

interface Outcome {
  readonly set: ConfigSet;
  readonly real: VerdictRun;
  readonly ours: VerdictRun;
}

function indent(text: string): string {
  const t = text.trim();
  return t === '' ? '    (no output)' : t.split('\n').slice(0, 40).map((l) => `    ${l.slice(0, 300)}`).join('\n');
}

function checkVerdict(who: string, set: ConfigSet, run: VerdictRun, culpritRequired: boolean): void {
  const { meta } = set;
  if (run.verdict === 'error') assert.fail(`${who}: ${run.problem}\n${indent(run.output)}`);
  assert.equal(
    run.verdict,
    meta.verdict,
    `${who} says ${run.verdict}, meta.json says ${meta.verdict} (${meta.note}); its output:\n${indent(run.output)}`,
  );
  if (meta.verdict === 'reject' && culpritRequired && meta.culprit !== undefined) {
    assert.ok(
      run.output.includes(meta.culprit),
      `${who} rejects but does not name the culprit ${JSON.stringify(meta.culprit)}; its output:\n${indent(run.output)}`,
    );
  }
}

test('config verdicts: the real Heartbeat 3.0.6 and heartbeat-ts agree on every config set', async (t: TestContext) => {
  if (!requireRootAndCommands(t, ['unshare', 'ip'])) return;
  if (!fs.existsSync(REAL_HEARTBEAT)) {
    const why = `the real Heartbeat 3.0.6 is not installed (${REAL_HEARTBEAT})`;
    if (isCi()) throw new Error(`${why}: CI=true, so it must be (npm test as root installs the heartbeat package: test/debian-packages.txt)`);
    t.skip(why);
    return;
  }
  const sets = loadConfigSets();
  requireOurCli();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-verdicts-'));
  fs.chmodSync(work, 0o755);
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));

  const started = Date.now();
  const outcomes = await mapLimit(sets, CONCURRENCY, async (set): Promise<Outcome> => {
    const copy = copyConfigSet(set, work);
    const real = await realVerdict(copy, set.meta.node);
    const ours = await ourVerdict(copy, set.meta.node);
    return { set, real, ours };
  });
  t.diagnostic(`${sets.length} config sets judged in ${Date.now() - started} ms (concurrency ${CONCURRENCY})`);

  for (const { set, real, ours } of outcomes) {
    await t.test(`${set.name} (${set.meta.verdict}): real Heartbeat 3.0.6`, () => {
      checkVerdict('real Heartbeat', set, real, set.meta.realNamesCulprit !== false);
      if (set.meta.realSays !== undefined) {
        assert.ok(
          real.output.includes(set.meta.realSays),
          `real Heartbeat no longer says ${JSON.stringify(set.meta.realSays)}; its output:\n${indent(real.output)}`,
        );
      }
    });
    await t.test(`${set.name} (${set.meta.verdict}): heartbeat-ts`, () => checkVerdict('heartbeat-ts', set, ours, true));
  }
});
