// `npm run bench [-- NAME…]`: runs the named benchmarks (default: all but the opt-in ones), prints their report lines,
// then one summary table of the figures they recorded, also written to test/bench/results/latest.{md,json}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { benchCheckConfig } from './check-config.js';
import { benchIpfail } from './ipfail.js';
import { benchMembership } from './membership.js';
import { benchMigrated, benchResources } from './resources.js';
import { benchService } from './service.js';
import { benchSoak } from './soak.js';
import { benchStress } from './stress.js';
import { recordedRows, reproduceCommand, summaryJson, summaryMarkdown, type SummaryMeta } from './summary.js';
import { benchWire } from './wire.js';

const BENCHES: Record<string, () => Promise<string[]>> = {
  wire: benchWire,
  'check-config': benchCheckConfig,
  membership: benchMembership,
  resources: benchResources,
  migrated: benchMigrated,
  ipfail: benchIpfail,
  service: benchService,
};

/** Run only when named (long: HBTS_BENCH_STRESS_SECONDS, default 600; HBTS_BENCH_SOAK_SECONDS, default 3600). */
const OPT_IN: Record<string, () => Promise<string[]>> = {
  stress: benchStress,
  soak: benchSoak,
};

const RESULTS_DIR = path.join(repoRoot, 'test', 'bench', 'results');

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHES) && !(w in OPT_IN));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}; opt-in: ${Object.keys(OPT_IN).join(', ')}`);
  process.exit(2);
}
const startedAt = new Date().toISOString();
const loadavgBefore = os.loadavg();
console.log(`bench: node ${process.version}, ${startedAt}`);
const ran: string[] = [];
let failed: string | undefined;
try {
  for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
    const bench = BENCHES[name] ?? OPT_IN[name];
    if (bench === undefined) continue;
    ran.push(name);
    failed = name;
    for (const line of await bench()) console.log(line);
    failed = undefined;
  }
} finally {
  // Written even when a bench threw (the figures recorded so far, and which bench stopped the run).
  const meta: SummaryMeta = {
    command: reproduceCommand(wanted, process.env, process.env['npm_lifecycle_event'] === 'bench'),
    benches: ran,
    defaultSet: Object.keys(BENCHES),
    node: process.version,
    date: startedAt,
    cpus: os.cpus().length,
    loadavgBefore,
    loadavgAfter: os.loadavg(),
    ...(failed !== undefined ? { failed } : {}),
  };
  const rows = recordedRows();
  const markdown = summaryMarkdown(rows, meta);
  console.log('');
  console.log(markdown);
  const latest = path.relative(process.cwd(), path.join(RESULTS_DIR, 'latest.md'));
  // The files are the README's table: only a whole run of the default set replaces them, never a subset, an opt-in bench or a failed run.
  if (failed !== undefined || !Object.keys(BENCHES).every((b) => ran.includes(b))) {
    console.log(`bench: ${latest} not rewritten (${failed !== undefined ? `${failed} failed` : 'not the whole default set'}; it keeps the last full run)`);
  } else {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, 'latest.md'), markdown);
    fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), summaryJson(rows, meta));
    console.log(`bench: summary written to ${latest} and latest.json`);
  }
}
