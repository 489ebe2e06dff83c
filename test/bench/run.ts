// `npm run bench [-- NAME…]`: runs the named benchmarks (default: all) and prints their report lines.
import { benchCheckConfig } from './check-config.js';
import { benchIpfail } from './ipfail.js';
import { benchMembership } from './membership.js';
import { benchResources } from './resources.js';
import { benchWire } from './wire.js';

const BENCHES: Record<string, () => Promise<string[]>> = {
  wire: benchWire,
  'check-config': benchCheckConfig,
  membership: benchMembership,
  resources: benchResources,
  ipfail: benchIpfail,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
console.log(`bench: node ${process.version}, ${new Date().toISOString()}`);
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (bench === undefined) continue;
  for (const line of await bench()) console.log(line);
}
