// `npm run bench [-- NAME…]`: runs the named benchmarks (default: all but the opt-in ones) and prints their report lines.
import { benchCheckConfig } from './check-config.js';
import { benchIpfail } from './ipfail.js';
import { benchMembership } from './membership.js';
import { benchResources } from './resources.js';
import { benchSoak } from './soak.js';
import { benchStress } from './stress.js';
import { benchWire } from './wire.js';

const BENCHES: Record<string, () => Promise<string[]>> = {
  wire: benchWire,
  'check-config': benchCheckConfig,
  membership: benchMembership,
  resources: benchResources,
  ipfail: benchIpfail,
};

/** Run only when named (long: HBTS_BENCH_STRESS_SECONDS, default 600; HBTS_BENCH_SOAK_SECONDS, default 3600). */
const OPT_IN: Record<string, () => Promise<string[]>> = {
  stress: benchStress,
  soak: benchSoak,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHES) && !(w in OPT_IN));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}; opt-in: ${Object.keys(OPT_IN).join(', ')}`);
  process.exit(2);
}
console.log(`bench: node ${process.version}, ${new Date().toISOString()}`);
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  const bench = BENCHES[name] ?? OPT_IN[name];
  if (bench === undefined) continue;
  for (const line of await bench()) console.log(line);
}
