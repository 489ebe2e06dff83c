// The part of `npm run demo` that needs no privileges: check-config on the examples and a broken copy, and
// `hbctl wire` on real recorded Heartbeat 3.0.6 packets — using the built CLIs only. checkExample() also opens the
// root demo.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, realFixturesDir, repoRoot } from '../helpers/paths.js';

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function show(title: string, cli: string, args: readonly string[], maxLines = 40, prefix: readonly string[] = []): number {
  console.log(`\n${bold(`== ${title}`)}`);
  console.log(`$ ${cli} ${args.join(' ')}`);
  const argv = [...prefix, process.execPath, cliPath(cli), ...args];
  const r = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
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

function namesIn(file: string): Set<string> {
  try {
    return new Set(fs.readFileSync(file, 'utf8').split('\n').map((l) => l.split(':')[0] ?? '').filter((n) => n !== ''));
  } catch {
    return new Set();
  }
}

function unshareWorks(args: readonly string[]): boolean {
  return spawnSync('unshare', [...args, 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/**
 * Checks the example configuration for node alpha. It names user hacluster and group haclient (ipfail's), which
 * the package creates (packaging/debian/postinst). When this machine has neither, the check runs in a private
 * mount namespace whose /etc/passwd and /etc/group are copies with them added, as the package would add them
 * (as root: unshare --mount; otherwise in a user namespace: unshare --user --map-root-user --mount). Where
 * neither namespace can be made, it says so and checks a copy without the two ipfail lines. Returns the exit
 * status of the check.
 */
/** The command prefix that runs a check with the package's users present (set by checkExample; [] when none is needed or possible). */
let withUsers: readonly string[] = [];

export function checkExample(work: string): number {
  const good = exampleCopy(work);
  const args = ['--check-config', '--config-dir', good, '--node-name', 'alpha'];
  const lacking = [
    ...(namesIn('/etc/passwd').has('hacluster') ? [] : ['user hacluster']),
    ...(namesIn('/etc/group').has('haclient') ? [] : ['group haclient']),
  ];
  if (lacking.length === 0) return show('the example configuration (etc-ha.d/) for node alpha', 'heartbeat', args);
  const passwd = path.join(work, 'passwd');
  const group = path.join(work, 'group');
  const read = (f: string): string => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').replace(/\n?$/, '\n') : '');
  let groupText = read('/etc/group');
  if (!namesIn('/etc/group').has('haclient')) groupText += 'haclient:x:990:\n';
  const gid = /^haclient:[^:]*:(\d+):/m.exec(groupText)?.[1] ?? '990';
  let passwdText = read('/etc/passwd');
  if (!namesIn('/etc/passwd').has('hacluster')) passwdText += `hacluster:x:990:${gid}:Heartbeat System Account:/var/lib/heartbeat:/usr/sbin/nologin\n`;
  fs.writeFileSync(passwd, passwdText);
  fs.writeFileSync(group, groupText);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const ns = root ? ['--mount'] : ['--user', '--map-root-user', '--mount'];
  if (unshareWorks(ns)) {
    console.log(
      `(this machine has no ${lacking.join(' and ')}: the package creates them (packaging/debian/postinst); the check\n` +
        ` below runs in a mount namespace of its own (unshare ${ns.join(' ')}) whose /etc/passwd and /etc/group have them added)`,
    );
    const sh = `mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@"`;
    withUsers = ['unshare', ...ns, '--', 'sh', '-c', sh, 'sh', passwd, group];
    return show('the example configuration (etc-ha.d/) for node alpha, with the users the package creates', 'heartbeat', args, 40, withUsers);
  }
  console.log(
    `(this machine has no ${lacking.join(' and ')}, which the package creates (packaging/debian/postinst), and cannot\n` +
      ` make a user namespace to add them for the check: the copy below leaves out the two ipfail lines naming them)`,
  );
  const haCf = path.join(good, 'ha.cf');
  fs.writeFileSync(haCf, fs.readFileSync(haCf, 'utf8').replace(/^(respawn\s+hacluster|apiauth\s+ipfail)/gm, '# $1'));
  return show('the example configuration (etc-ha.d/) for node alpha, without ipfail', 'heartbeat', args);
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
    checkExample(work);
    const good = path.join(work, 'ha.d');
    const broken = brokenCopy(good, work);
    show('a broken copy: every problem, pinpointed, in one run', 'heartbeat', ['--check-config', '--config-dir', broken, '--node-name', 'alpha'], 40, withUsers);
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
