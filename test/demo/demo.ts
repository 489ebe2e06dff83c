// `npm run demo`. As root (with Apache installed): a two-node heartbeat-ts pair in network namespaces serving a
// web site, a power loss, the takeover and the failback, with timings (pair-demo.ts). Without root: says so,
// shows what needs no privileges (unprivileged.ts) and what to run instead.
import { execFileSync } from 'node:child_process';
import { runPairDemo } from './pair-demo.js';
import { runUnprivilegedDemo } from './unprivileged.js';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What the pair demo lacks here, in words ([] when it can run). */
function missing(): string[] {
  const out: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) out.push('root');
  const pkgs: Record<string, string> = { ip: 'iproute2', unshare: 'util-linux', nsenter: 'util-linux', apache2: 'apache2' };
  for (const [cmd, pkg] of Object.entries(pkgs)) {
    if (!have(cmd) && !(cmd === 'apache2' && have('/usr/sbin/apache2'))) out.push(`${cmd} (Debian package ${pkg})`);
  }
  return out;
}

const lacking = missing();
if (lacking.length === 0) {
  process.exitCode = await runPairDemo();
} else {
  const root = lacking[0] === 'root';
  console.log(
    `The full demo — two nodes in network namespaces, Apache behind a floating address, a power loss, the takeover\n` +
      `and the failback — needs ${lacking.join(', ')}. Showing the part that needs no privileges instead.\n` +
      (root ? 'Run it as root instead:  sudo npm run demo\n' : `Install what is missing (apt-get install ${[...new Set(lacking.map((l) => /package (\S+)\)/.exec(l)?.[1]).filter(Boolean))].join(' ')}), then: npm run demo\n`),
  );
  runUnprivilegedDemo();
  console.log(`\nThe full demo: ${root ? 'sudo npm run demo' : 'npm run demo (as root)'}. The tests: npm test.`);
}
