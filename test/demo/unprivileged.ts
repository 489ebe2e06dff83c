// The part of `npm run demo` that needs no privileges: check-config on the examples and a broken copy, and
// `hbctl wire` on real recorded Heartbeat 3.0.6 packets — using the built CLIs only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, realFixturesDir, repoRoot } from '../helpers/paths.js';

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function show(title: string, cli: string, args: readonly string[], maxLines = 40): number {
  console.log(`\n${bold(`== ${title}`)}`);
  console.log(`$ ${cli} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cliPath(cli), ...args], { encoding: 'utf8', timeout: 30_000 });
  const out = `${r.stdout}${r.stderr}`.trimEnd().split('\n');
  console.log(out.slice(0, maxLines).join('\n'));
  if (out.length > maxLines) console.log(`… (${out.length - maxLines} more lines)`);
  console.log(`[exit status ${r.status ?? r.signal}]`);
  return r.status ?? -1;
}

/** A copy of etc-ha.d with authkeys at 0600 (git does not keep modes), adapted if this host lacks eth0 or ttyS0. */
function exampleCopy(work: string): string {
  const dir = path.join(work, 'ha.d');
  fs.mkdirSync(dir);
  for (const f of ['ha.cf', 'haresources', 'authkeys']) fs.copyFileSync(path.join(repoRoot, 'etc-ha.d', f), path.join(dir, f));
  fs.chmodSync(path.join(dir, 'authkeys'), 0o600);
  let haCf = fs.readFileSync(path.join(dir, 'ha.cf'), 'utf8');
  if (!Object.keys(os.networkInterfaces()).includes('eth0')) {
    console.log('(this machine has no eth0: the demo copy uses "bcast lo" instead)');
    haCf = haCf.replace(/^bcast\s+eth0$/m, 'bcast           lo');
  }
  if (!fs.existsSync('/dev/ttyS0')) {
    console.log('(this machine has no /dev/ttyS0: the demo copy drops the serial line)');
    haCf = haCf.replace(/^serial\s+\/dev\/ttyS0$/m, '# serial /dev/ttyS0');
  }
  fs.writeFileSync(path.join(dir, 'ha.cf'), haCf);
  return dir;
}

function brokenCopy(good: string, work: string): string {
  const dir = path.join(work, 'broken');
  fs.mkdirSync(dir);
  const haCf = fs
    .readFileSync(path.join(good, 'ha.cf'), 'utf8')
    .replace(/^deadtime\s+30$/m, 'deadtime        30s')
    .replace(/^keepalive\s+2$/m, 'keepalive       20')
    .replace(/^udpport\s+694$/m, '')
    .replace(/^auto_failback\s+on$/m, 'auto_failback   sometimes\nudpport 694');
  fs.writeFileSync(path.join(dir, 'ha.cf'), haCf);
  fs.writeFileSync(path.join(dir, 'haresources'), 'charlie 198.51.100.10/24/eth0 httpd\n');
  fs.writeFileSync(path.join(dir, 'authkeys'), 'auth 1\n1 SHA1 secret\n');
  fs.chmodSync(path.join(dir, 'authkeys'), 0o644);
  return dir;
}

export function runUnprivilegedDemo(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-demo-'));
  try {
    console.log(bold('heartbeat-ts demo: checking configurations and dissecting real Heartbeat 3.0.6 traffic'));
    const good = exampleCopy(work);
    show('the example configuration (etc-ha.d/) for node alpha', 'heartbeat', ['--check-config', '--config-dir', good, '--node-name', 'alpha']);
    const broken = brokenCopy(good, work);
    show('a broken copy: every problem, pinpointed, in one run', 'heartbeat', ['--check-config', '--config-dir', broken, '--node-name', 'alpha']);
    const keys = path.join(work, 'authkeys-sha1');
    fs.writeFileSync(path.join(keys), 'auth 1\n1 sha1 SomeKey\n', { mode: 0o600 });
    show('one recorded status packet, with both signatures verified', 'hbctl', [
      'wire', 'decode', '--authkeys', keys, path.join(realFixturesDir, 'payloads', 'status-sha1.bin'),
    ]);
    show('a recorded failover, one line per message', 'hbctl', [
      'wire', 'decode', '--pcap', path.join(realFixturesDir, 'pcap', 'main-sha1.pcap'), '--authkeys', keys,
    ], 25);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
