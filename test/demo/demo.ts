// `npm run demo`. As root: a two-node heartbeat-ts pair in network namespaces serving a web site (through Apache
// when it is installed, else through the demo's built-in server), a power loss, the takeover and the failback,
// with timings (pair-demo.ts). Without root: says exactly what it needs, shows what needs no privileges
// (unprivileged.ts) and what to run instead.
//
// The web server can be chosen: `npm run demo -- --web-server=builtin|apache` or HBTS_DEMO_WEB=builtin|apache
// (default: apache when apache2 is installed, else builtin). The tests use it to run the built-in server on a
// machine that has Apache.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPairDemo, type WebServer } from './pair-demo.js';
import { checkExample, runUnprivilegedDemo } from './unprivileged.js';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const haveApache = (): boolean => have('apache2') || fs.existsSync('/usr/sbin/apache2');

/** The web server asked for (--web-server=X or HBTS_DEMO_WEB=X), or undefined; exits with status 2 on a bad value. */
function requestedServer(): WebServer | undefined {
  const arg = process.argv.slice(2).find((a) => a.startsWith('--web-server='))?.slice('--web-server='.length);
  const unknown = process.argv.slice(2).filter((a) => !a.startsWith('--web-server='));
  if (unknown.length > 0) {
    console.error(`demo: unknown argument ${unknown.join(' ')} (the only one is --web-server=builtin|apache)`);
    process.exit(2);
  }
  const v = arg ?? process.env['HBTS_DEMO_WEB'];
  if (v === undefined || v === '') return undefined;
  if (v === 'builtin' || v === 'apache') return v;
  console.error(`demo: web server "${v}": expected builtin or apache (--web-server=… or HBTS_DEMO_WEB=…)`);
  process.exit(2);
}

/** What the pair demo lacks here, each with the Debian package that has it ([] when it can run). */
function missing(server: WebServer | undefined): string[] {
  const out: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) out.push('root');
  const pkgs: Record<string, string> = { ip: 'iproute2', unshare: 'util-linux', nsenter: 'util-linux' };
  for (const [cmd, pkg] of Object.entries(pkgs)) if (!have(cmd)) out.push(`${cmd} (Debian package ${pkg})`);
  if (server === 'apache' && !haveApache()) out.push('apache2 (Debian package apache2; or leave it out: the demo has a built-in web server)');
  return out;
}

const asked = requestedServer();
const lacking = missing(asked);
if (lacking.length === 0) {
  const server: WebServer = asked ?? (haveApache() ? 'apache' : 'builtin');
  const why =
    asked !== undefined ? 'as asked' : server === 'apache' ? 'apache2 is installed' : 'apache2 is not installed; with it the demo uses Apache';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-demo-'));
  let checked: number;
  try {
    checked = checkExample(work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (checked !== 0) {
    console.error('demo: the example configuration does not pass the check (above): not starting the pair');
    process.exitCode = 1;
  } else {
    console.log('');
    process.exitCode = await runPairDemo(server, why);
  }
} else {
  const needsRoot = lacking[0] === 'root';
  const pkgs = [...new Set(lacking.map((l) => /package (\S+?)[;)]/.exec(l)?.[1]).filter((p): p is string => p !== undefined))];
  console.log(
    `The full demo — two nodes in network namespaces, a web site behind a floating address, a power loss, the\n` +
      `takeover and the failback — needs ${lacking.join(', ')}.\n` +
      (needsRoot
        ? `It creates network namespaces, a bridge and veth pairs, and binds port 80 in them: run it as root (sudo npm run demo).\n`
        : '') +
      (pkgs.length > 0 ? `Install what is missing: apt-get install ${pkgs.join(' ')}\n` : '') +
      'Showing the part that needs no privileges instead.',
  );
  runUnprivilegedDemo();
  console.log(`\nThe full demo: ${needsRoot ? 'sudo npm run demo' : 'npm run demo (as root)'}. The tests: npm test.`);
}
