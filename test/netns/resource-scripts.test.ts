// resource.d/IPaddr, IPaddr2 and httpd run inside lab nodes, alone and under the real Heartbeat's ResourceManager.
//
//   [alpha]  runs the scripts (isolated: private /etc/ha.d, /run, /var/log)
//   [bravo]  watches alpha's gratuitous ARP (arp_accept=1: an unsolicited ARP creates a neighbour entry)
//   [client] fetches pages with curl
// Only 198.51.100.0/24 and 203.0.113.0/24 are used, so IPv6 is exercised in dry-run mode (HBTS_DRY_RUN=1:
// changes printed, not made): argument parsing and the commands it would run, never an address on a link.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, isAlive, type Lab, type RunResult } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { repoRoot } from '../helpers/paths.js';

const SCRIPTS = path.join(repoRoot, 'resource.d');
const IPADDR2 = path.join(SCRIPTS, 'IPaddr2');
const IPADDR = path.join(SCRIPTS, 'IPaddr');
const HTTPD = path.join(SCRIPTS, 'httpd');
const RESOURCE_MANAGER = '/usr/share/heartbeat/ResourceManager';
/** Heartbeat's ARP sender (resource-agents, a dependency of the heartbeat package); IPaddr2 prefers it to arping. */
const SEND_ARP = ['/usr/libexec/heartbeat/send_arp', '/usr/lib/heartbeat/send_arp'].find((f) => fs.existsSync(f)) ?? '/usr/libexec/heartbeat/send_arp';
const VIP = '198.51.100.100';
const OP_MS = 15_000;

/** eth0's IPv4 lines in a node, as `ip -n <ns> -o -4 addr show dev eth0` prints them. */
async function v4Lines(lab: Lab, node: string, dev = 'eth0'): Promise<string> {
  const r = await lab.exec('bridge', ['ip', '-n', lab.node(node).netns, '-o', '-4', 'addr', 'show', 'dev', dev], { timeoutMs: 5000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout;
}

/**
 * Every address of every interface in a node as "dev family address/prefix" lines (to show that a failed call
 * changed nothing); flags such as "tentative" on the kernel's own link-local addresses come and go, so they are left out.
 */
async function allAddresses(lab: Lab, node: string): Promise<string> {
  const r = await lab.exec('bridge', ['ip', '-n', lab.node(node).netns, '-o', 'addr', 'show'], { timeoutMs: 5000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+(\S+)\s+(inet6?)\s+(\S+)/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${m[1]} ${m[2]} ${m[3]}`)
    .join('\n');
}

function explain(r: RunResult): string {
  return `${r.argv.join(' ')} → exit ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** Runs a script in a node and checks its exit code and (when given) its exact stdout. */
async function expectRun(lab: Lab, node: string, argv: readonly string[], exitCode: number, stdout?: string): Promise<RunResult> {
  const r = await lab.exec(node, argv, { timeoutMs: OP_MS });
  assert.equal(r.exitCode, exitCode, explain(r));
  if (stdout !== undefined) assert.equal(r.stdout, stdout, explain(r));
  return r;
}

/** Polls until check() holds (every 50 ms, at most timeoutMs). */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** A page directory readable by Apache's www-data user; removed after the test. */
function pageDir(t: TestContext, body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-www-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'hostname.html'), body);
  fs.chmodSync(path.join(dir, 'hostname.html'), 0o644);
  return dir;
}

/** A minimal private Apache: absolute module paths, runtime files in the node's private /run and /var/log. */
function apacheConf(listen: string, docRoot: string, pidFile: string): string {
  return [
    'ServerRoot /etc/apache2',
    'LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so',
    'LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so',
    'User www-data',
    'Group www-data',
    'ServerName hbts-test',
    `Listen ${listen}`,
    'DefaultRuntimeDir /run',
    `PidFile ${pidFile}`,
    'ErrorLog /var/log/hbts-httpd-error.log',
    `DocumentRoot ${docRoot}`,
    `<Directory ${docRoot}>`,
    '  Require all granted',
    '</Directory>',
    '',
  ].join('\n');
}

async function macOf(lab: Lab, node: string): Promise<string> {
  const r = await lab.exec('bridge', ['ip', '-n', lab.node(node).netns, '-o', 'link', 'show', 'dev', 'eth0'], { timeoutMs: 5000 });
  const m = /link\/ether ([0-9a-f:]{17})/.exec(r.stdout);
  assert.ok(m, r.stdout);
  return m[1] as string;
}

test('IPaddr2 198.51.100.100/24/eth0: start/status/stop, idempotent both ways, status words, gratuitous ARP seen by a neighbour', async (t) => {
  if (!requireRootAndCommands(t, ['sysctl', SEND_ARP])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo', isolated: false }], label: 'rsip', bridgeAddress: null });
  const spec = `${VIP}/24/eth0`;
  // bravo creates neighbour entries from unsolicited ARP; it never sends anything to the address itself.
  await expectRun(lab, 'bravo', ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.arp_accept=1'], 0);
  const neigh = async (): Promise<string> =>
    (await lab.exec('bravo', ['ip', 'neigh', 'show', 'to', VIP, 'dev', 'eth0'], { timeoutMs: 5000 })).stdout;
  assert.equal(await neigh(), '', 'bravo knows nothing of the address yet');

  await expectRun(lab, 'alpha', [IPADDR2, spec, 'status'], 3, 'stopped\n');
  await expectRun(lab, 'alpha', [IPADDR2, spec, 'stop'], 0); // stop when stopped: success, nothing to do
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), ` ${VIP}/`), 0);

  await expectRun(lab, 'alpha', [IPADDR2, spec, 'start'], 0);
  const lines = await v4Lines(lab, 'alpha');
  assert.match(lines, new RegExp(`inet ${VIP.replace(/\./g, '\\.')}/24 brd 198\\.51\\.100\\.255 scope global secondary eth0\\\\`), lines);
  assert.doesNotMatch(lines, /eth0:/, 'no alias label');
  const announcer = await lab.exec('alpha', ['cat', `/run/resource-agents/hbts-announce-${VIP}`], { timeoutMs: 5000 });
  assert.match(announcer.stdout, /^\d+\n$/, 'the ARP burst was started and its pid kept');

  await expectRun(lab, 'alpha', [IPADDR2, spec, 'start'], 0); // start when started: success, no second copy
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), ` ${VIP}/`), 1);
  await expectRun(lab, 'alpha', [IPADDR2, spec, 'status'], 0, 'running\n');
  await expectRun(lab, 'alpha', [IPADDR2, spec, 'monitor'], 0, 'running\n');

  const mac = await macOf(lab, 'alpha');
  await until(`bravo learns ${VIP} is at ${mac} from the gratuitous ARP`, 5000, async () => (await neigh()).includes(`lladdr ${mac}`));
  process.stdout.write(`# bravo's neighbour table after alpha's start: ${(await neigh()).trim()}\n`);

  await expectRun(lab, 'alpha', [IPADDR2, spec, 'stop'], 0);
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), ` ${VIP}/`), 0);
  assert.match(await v4Lines(lab, 'alpha'), /inet 198\.51\.100\.11\/24/, 'the node\'s own address stays');
  const gone = await lab.exec('alpha', ['test', '-e', `/run/resource-agents/hbts-announce-${VIP}`], { timeoutMs: 5000 });
  assert.equal(gone.exitCode, 1, 'stop forgets the ARP burst');
  await expectRun(lab, 'alpha', [IPADDR2, spec, 'stop'], 0);
  await expectRun(lab, 'alpha', [IPADDR2, spec, 'status'], 3, 'stopped\n');
});

test('IPaddr with a bare address finds eth0 and the prefix from the subnet; a default route never counts', async (t) => {
  if (!requireRootAndCommands(t)) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }], label: 'rsbare', bridgeAddress: null });
  await expectRun(lab, 'alpha', [IPADDR, VIP, 'status'], 3, 'stopped\n');
  await expectRun(lab, 'alpha', [IPADDR, VIP, 'start'], 0);
  assert.match(await v4Lines(lab, 'alpha'), new RegExp(`inet ${VIP.replace(/\./g, '\\.')}/24 brd 198\\.51\\.100\\.255 `));
  await expectRun(lab, 'alpha', [IPADDR, VIP, 'status'], 0, 'running\n');
  // The same address spelled with the interface (as IPaddr2 would be given it) is the same resource.
  await expectRun(lab, 'alpha', [IPADDR2, `${VIP}/24/eth0`, 'status'], 0, 'running\n');
  await expectRun(lab, 'alpha', [IPADDR, VIP, 'stop'], 0);
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), ` ${VIP}/`), 0);
  await expectRun(lab, 'alpha', [IPADDR, VIP, 'status'], 3, 'stopped\n');

  // A prefix without an interface: the interface still comes from the subnet.
  await expectRun(lab, 'alpha', [IPADDR2, `${VIP}/24`, 'start'], 0);
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), ` ${VIP}/24 `), 1);
  await expectRun(lab, 'alpha', [IPADDR2, `${VIP}/24`, 'stop'], 0);

  // An address put on eth0 by hand as a /32 (no subnet route): found where it is, removed from there.
  const ns = lab.node('alpha').netns;
  await expectRun(lab, 'bridge', ['ip', '-n', ns, 'addr', 'add', '203.0.113.5/32', 'dev', 'eth0'], 0);
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.5', 'status'], 0, 'running\n');
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.5', 'start'], 0);
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), ' 203.0.113.5/32 '), 1);
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.5', 'stop'], 0);
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), '203.0.113.5/'), 0);
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.5', 'status'], 3, 'stopped\n');

  // An address in no subnet of ours: refused even though a default route would reach it; nothing changes.
  await expectRun(lab, 'bridge', ['ip', '-n', ns, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0'], 0);
  const before = await allAddresses(lab, 'alpha');
  const r = await expectRun(lab, 'alpha', [IPADDR, '203.0.113.100', 'start'], 6, '');
  assert.match(r.stderr, /no interface has a subnet holding 203\.0\.113\.100/);
  assert.equal(await allAddresses(lab, 'alpha'), before);
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.100', 'status'], 3, 'stopped\n');
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.100', 'stop'], 0);

  // A second interface on 203.0.113.0/24: the address goes there, with that subnet's prefix.
  await expectRun(lab, 'bridge', ['ip', '-n', ns, 'link', 'add', 'hb0', 'type', 'veth', 'peer', 'name', 'hb1'], 0);
  await expectRun(lab, 'bridge', ['ip', '-n', ns, 'addr', 'add', '203.0.113.1/25', 'dev', 'hb0'], 0);
  await expectRun(lab, 'bridge', ['ip', '-n', ns, 'link', 'set', 'hb1', 'up'], 0);
  await expectRun(lab, 'bridge', ['ip', '-n', ns, 'link', 'set', 'hb0', 'up'], 0);
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.100', 'start'], 0);
  assert.match(await v4Lines(lab, 'alpha', 'hb0'), /inet 203\.0\.113\.100\/25 brd 203\.0\.113\.127 /);
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), '203.0.113.100'), 0);
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.100', 'status'], 0, 'running\n');
  await expectRun(lab, 'alpha', [IPADDR, '203.0.113.100', 'stop'], 0);
  assert.equal(occurrences(await v4Lines(lab, 'alpha', 'hb0'), '203.0.113.100'), 0);
});

test('bad arguments: a clear message on stderr, non-zero exit, nothing on stdout, nothing changed', async (t) => {
  if (!requireRootAndCommands(t)) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }], label: 'rsbad', bridgeAddress: null });
  const before = await allAddresses(lab, 'alpha');
  const cases: readonly { argv: readonly string[]; code: number; stderr: RegExp }[] = [
    { argv: [IPADDR2, '999.1.1.1', 'start'], code: 2, stderr: /"999\.1\.1\.1" is not an IPv4 or IPv6 address/ },
    { argv: [IPADDR, '999.1.1.1', 'start'], code: 2, stderr: /^IPaddr: "999\.1\.1\.1" is not/ },
    { argv: [IPADDR2, `${VIP}/24/eth0`], code: 2, stderr: /no action given[\s\S]*usage: IPaddr2 ip\[\/cidr\[\/nic\[\/broadcast\]\]\] start\|stop\|status/ },
    { argv: [IPADDR2], code: 2, stderr: /no address and no action given/ },
    { argv: [IPADDR2, `${VIP}/24/eth0`, 'begin'], code: 2, stderr: /unknown action "begin"/ },
    { argv: [IPADDR2, `${VIP}/33/eth0`, 'start'], code: 2, stderr: /prefix length 33 is over 32/ },
    { argv: [IPADDR2, `${VIP}/24/eth0/198.51.100.255/extra`, 'start'], code: 2, stderr: /too many fields/ },
    { argv: [IPADDR2, `${VIP}/24/eth0/198.51.100.999`, 'start'], code: 2, stderr: /broadcast "198\.51\.100\.999" is not an IPv4 address/ },
    { argv: [IPADDR2, `${VIP}/24/nosuch0`, 'start'], code: 6, stderr: /no interface "nosuch0"/ },
    // status with a bad argument: LSB "unknown" (4) and no word, which ResourceManager reads as not running.
    { argv: [IPADDR2, '999.1.1.1', 'status'], code: 4, stderr: /is not an IPv4 or IPv6 address/ },
    { argv: [HTTPD], code: 2, stderr: /no action given/ },
    { argv: [HTTPD, 'relative.conf', 'start'], code: 6, stderr: /must be an absolute path/ },
    { argv: [HTTPD, '/nonexistent/httpd.conf', 'start'], code: 6, stderr: /cannot read configuration \/nonexistent\/httpd\.conf/ },
    { argv: [HTTPD, '/etc/hostname', 'start'], code: 6, stderr: /has no PidFile line/ },
    { argv: ['env', 'HTTPD_STOP_TIMEOUT_MS=soon', HTTPD, 'stop'], code: 2, stderr: /HTTPD_STOP_TIMEOUT_MS="soon" is not a number of milliseconds/ },
  ];
  for (const c of cases) {
    const r = await lab.exec('alpha', c.argv, { timeoutMs: OP_MS });
    assert.equal(r.exitCode, c.code, explain(r));
    assert.equal(r.stdout, '', explain(r));
    assert.match(r.stderr, c.stderr, explain(r));
  }
  // A nonexistent interface cannot hold the address: status says stopped and stop succeeds (LSB).
  await expectRun(lab, 'alpha', [IPADDR2, `${VIP}/24/nosuch0`, 'status'], 3, 'stopped\n');
  await expectRun(lab, 'alpha', [IPADDR2, `${VIP}/24/nosuch0`, 'stop'], 0, '');
  assert.equal(await allAddresses(lab, 'alpha'), before);
});

test('IPv6 (dry run only: no IPv6 address may be put on a link here): whole or cut at "::" as ResourceManager cuts it', async (t) => {
  if (!requireRootAndCommands(t)) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }], label: 'rsv6', bridgeAddress: null });
  const before = await allAddresses(lab, 'alpha');
  const dry = ['env', 'HBTS_DRY_RUN=1'];
  for (const args of [['2001:db8::10/64/eth0'], ['2001:db8', '10/64/eth0']]) {
    const r = await expectRun(lab, 'alpha', [...dry, IPADDR2, ...args, 'start'], 0, '');
    assert.match(r.stderr, /^IPaddr2: dry run: ip -6 addr add 2001:db8::10\/64 dev eth0 nodad$/m, explain(r));
    if (fs.existsSync('/usr/libexec/heartbeat/send_ua') || fs.existsSync('/usr/lib/heartbeat/send_ua')) {
      assert.match(r.stderr, /dry run: \S+\/send_ua -i 200 -c 5 2001:db8::10 64 eth0$/m, explain(r));
    }
    await expectRun(lab, 'alpha', [IPADDR2, ...args, 'status'], 3, 'stopped\n');
    await expectRun(lab, 'alpha', [...dry, IPADDR2, ...args, 'stop'], 0, '');
  }
  // Without an interface, only a subnet on a link could say where it goes; there is none.
  const r = await expectRun(lab, 'alpha', [...dry, IPADDR2, '2001:db8::10', 'start'], 6, '');
  assert.match(r.stderr, /no interface has a subnet holding 2001:db8::10/);
  for (const bad of ['2001:db8:::10/64/eth0', '2001:db8::1::10/64/eth0', '2001:db8::10/129/eth0', '2001:db8::10/64/eth0/198.51.100.255', '2001:dbg::10/64/eth0']) {
    const b = await expectRun(lab, 'alpha', [...dry, IPADDR2, bad, 'start'], 2, '');
    assert.match(b.stderr, /^IPaddr2: /, explain(b));
  }
  assert.equal(await allAddresses(lab, 'alpha'), before);
});

test('httpd with a private config: start serves the page to a client, status words, stop waits until Apache is gone', async (t) => {
  if (!requireRootAndCommands(t, ['apache2', 'curl'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'client', isolated: false }], label: 'rshttp', bridgeAddress: null });
  const alphaIp = lab.node('alpha').ip;
  const pidFile = '/run/hbts-httpd.pid';
  const conf = path.join(lab.node('alpha').haDir, 'httpd.conf'); // /etc/ha.d/httpd.conf inside alpha
  fs.writeFileSync(conf, apacheConf(`${alphaIp}:80`, pageDir(t, 'alpha\n'), pidFile));
  const CONF = '/etc/ha.d/httpd.conf';
  const curl = (): Promise<RunResult> =>
    lab.exec('client', ['curl', '-sS', '-m', '3', `http://${alphaIp}/hostname.html`], { timeoutMs: 5000 });

  await expectRun(lab, 'alpha', [HTTPD, CONF, 'status'], 3, 'stopped\n');
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'stop'], 0, '');
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'start'], 0, '');
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'status'], 0, 'running\n');
  const pid = Number((await expectRun(lab, 'alpha', ['cat', pidFile], 0)).stdout.trim());
  assert.ok(pid > 0 && isAlive(pid), `Apache's pid ${pid} is alive`);
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'start'], 0, ''); // already running: success, same process
  assert.equal(Number((await expectRun(lab, 'alpha', ['cat', pidFile], 0)).stdout.trim()), pid);
  const page = await curl();
  assert.equal(page.exitCode, 0, explain(page));
  assert.equal(page.stdout, 'alpha\n');

  // The configuration can come from the environment too (HTTPD_CONFIG, or ha.cf `env HTTPD_CONFIG=…`).
  await expectRun(lab, 'alpha', ['env', `HTTPD_CONFIG=${CONF}`, HTTPD, 'status'], 0, 'running\n');
  await expectRun(lab, 'alpha', ['env', `HA_HTTPD_CONFIG=${CONF}`, HTTPD, 'status'], 0, 'running\n');

  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).map(Number);
  assert.ok(children.length > 0, `Apache ${pid} has children`);
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'stop'], 0, '');
  assert.ok(!isAlive(pid), 'stop returned only once Apache was gone (a zombie awaiting its reaper counts as gone)');
  assert.deepEqual(children.filter((c) => isAlive(c)), [], 'and its children too');
  // The second SIGTERM that ends the parent's reclaim sleep early is no news to Apache: one shutdown, no complaint.
  const errorLog = fs.readFileSync(path.join(lab.node('alpha').logDir, 'hbts-httpd-error.log'), 'latin1');
  assert.equal(occurrences(errorLog, 'caught SIGTERM, shutting down'), 1, errorLog);
  assert.doesNotMatch(errorLog, /still did not exit|AH0004[567]/, errorLog);
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'status'], 3, 'stopped\n');
  const refused = await curl();
  assert.equal(refused.exitCode, 7, `port 80 is closed: ${explain(refused)}`); // curl 7: could not connect
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'stop'], 0, '');

  // An Apache that does not stop (its parent frozen: SIGTERM stays pending): after HTTPD_STOP_TIMEOUT_MS, SIGKILL
  // to the parent and its children, said on stderr, and success once they are gone.
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'start'], 0, '');
  const stuck = Number((await expectRun(lab, 'alpha', ['cat', pidFile], 0)).stdout.trim());
  const stuckChildren = fs.readFileSync(`/proc/${stuck}/task/${stuck}/children`, 'latin1').trim().split(/\s+/).map(Number);
  process.kill(stuck, 'SIGSTOP');
  const killed = await expectRun(lab, 'alpha', ['env', 'HTTPD_STOP_TIMEOUT_MS=300', HTTPD, CONF, 'stop'], 0, '');
  assert.match(killed.stderr, new RegExp(`^httpd: Apache \\(pid ${stuck}\\) has not stopped 300 ms after SIGTERM: sending SIGKILL to ${stuck} and its children$`, 'm'), explain(killed));
  assert.deepEqual([stuck, ...stuckChildren].filter((p) => isAlive(p)), [], 'the parent and every child are gone');
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'status'], 3, 'stopped\n'); // its pid file is gone too
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'start'], 0, ''); // and a new Apache starts
  await expectRun(lab, 'alpha', [HTTPD, CONF, 'stop'], 0, '');

  // A pid file naming a live process that is not Apache (a reused pid): stopped, LSB 1 "dead, pid file exists".
  fs.writeFileSync(path.join(lab.node('alpha').haDir, 'stale.conf'), apacheConf(`${alphaIp}:80`, '/nonexistent', '/etc/ha.d/stale.pid'));
  fs.writeFileSync(path.join(lab.node('alpha').haDir, 'stale.pid'), `${lab.node('alpha').anchorPid}\n`);
  const stale = await expectRun(lab, 'alpha', [HTTPD, '/etc/ha.d/stale.conf', 'status'], 1, 'stopped\n');
  assert.match(stale.stderr, /names no running Apache/);
  await expectRun(lab, 'alpha', [HTTPD, '/etc/ha.d/stale.conf', 'stop'], 0, '');
});

test('the real Heartbeat ResourceManager judges our scripts right and drives them through takegroup/givegroup', async (t) => {
  if (!requireRootAndCommands(t, ['apache2', 'curl', RESOURCE_MANAGER])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'client', isolated: false }], label: 'rsrm', bridgeAddress: null });
  const haDir = lab.node('alpha').haDir; // alpha's private /etc/ha.d, seeded from the host's (Debian's scripts)
  for (const f of ['IPaddr', 'IPaddr2', '.ipaddr-common.sh', 'httpd']) {
    fs.copyFileSync(path.join(SCRIPTS, f), path.join(haDir, 'resource.d', f));
    fs.chmodSync(path.join(haDir, 'resource.d', f), f.startsWith('.') ? 0o644 : 0o755);
  }
  fs.writeFileSync(path.join(haDir, 'httpd.conf'), apacheConf(`${VIP}:80`, pageDir(t, 'alpha via ResourceManager\n'), '/run/hbts-httpd.pid'));
  const vip2 = '198.51.100.101';
  const ipv6 = 'IPaddr2::2001:db8::10/64/eth0';
  fs.writeFileSync(
    path.join(haDir, 'haresources'),
    `alpha ${VIP} IPaddr2::${vip2}/24/eth0 httpd::/etc/ha.d/httpd.conf\nalpha ${ipv6}\n`,
  );
  const logs = { HA_LOGFILE: '/var/log/rm.log', HA_DEBUGLOG: '/var/log/rm-debug.log', HA_LOGFACILITY: '' };
  const rm = (args: readonly string[], extra: Record<string, string> = {}): Promise<RunResult> =>
    lab.exec('alpha', ['env', ...Object.entries({ ...logs, ...extra }).map(([k, v]) => `${k}=${v}`), RESOURCE_MANAGER, ...args], { timeoutMs: 60_000 });
  const debugLog = (): string => fs.readFileSync(path.join(lab.node('alpha').logDir, 'rm-debug.log'), 'utf8');
  const resources = [VIP, `IPaddr2::${vip2}/24/eth0`, 'httpd::/etc/ha.d/httpd.conf'];
  const owned = async (rsc: string): Promise<boolean> => {
    const r = await rm(['status', rsc]);
    assert.ok(r.exitCode === 0 || r.exitCode === 3, explain(r));
    assert.equal(r.stderr, '', `our status writes nothing on stderr: ${explain(r)}`);
    return r.exitCode === 0;
  };
  const statgroup = async (): Promise<string> => {
    const from = fs.existsSync(path.join(lab.node('alpha').logDir, 'rm-debug.log')) ? debugLog().length : 0;
    const r = await rm(['statgroup', VIP]);
    assert.equal(r.exitCode, 0, explain(r));
    return debugLog().slice(from).trim().split('\n').pop() ?? '';
  };

  for (const rsc of resources) assert.equal(await owned(rsc), false, `${rsc} not owned before takegroup`);
  assert.equal(await statgroup(), 'NONE');

  const take = await rm(['takegroup', VIP]);
  assert.equal(take.exitCode, 0, `${explain(take)}\n${debugLog()}`);
  for (const rsc of resources) assert.equal(await owned(rsc), true, `${rsc} owned after takegroup\n${debugLog()}`);
  assert.equal(await statgroup(), 'ALL');
  const log = fs.readFileSync(path.join(lab.node('alpha').logDir, 'rm.log'), 'utf8');
  assert.match(log, /Running \/etc\/ha\.d\/resource\.d\/IPaddr 198\.51\.100\.100 start/);
  assert.match(log, /Running \/etc\/ha\.d\/resource\.d\/IPaddr2 198\.51\.100\.101\/24\/eth0 start/);
  assert.match(log, /Running \/etc\/ha\.d\/resource\.d\/httpd \/etc\/ha\.d\/httpd\.conf start/);
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), ` ${VIP}/24 `), 1);
  const page = await lab.exec('client', ['curl', '-sS', '-m', '3', `http://${VIP}/hostname.html`], { timeoutMs: 5000 });
  assert.equal(page.stdout, 'alpha via ResourceManager\n', explain(page));

  // Partly held: ResourceManager says SOME.
  await expectRun(lab, 'alpha', [IPADDR2, `${vip2}/24/eth0`, 'stop'], 0);
  assert.equal(await statgroup(), 'SOME');
  await expectRun(lab, 'alpha', [IPADDR2, `${vip2}/24/eth0`, 'start'], 0);

  const give = await rm(['givegroup', VIP]);
  assert.equal(give.exitCode, 0, `${explain(give)}\n${debugLog()}`);
  for (const rsc of resources) assert.equal(await owned(rsc), false, `${rsc} not owned after givegroup\n${debugLog()}`);
  assert.equal(await statgroup(), 'NONE');
  assert.equal(occurrences(await v4Lines(lab, 'alpha'), '198.51.100.10'), 0);
  assert.doesNotMatch(debugLog(), /Retrying failed stop|probably not LSB-compliant|Reboot required/);

  // IPv6: ResourceManager cuts "2001:db8::10/64/eth0" into "2001:db8" "10/64/eth0"; our script glues it back
  // (status: no complaint on stderr; takegroup in dry-run mode: the right `ip -6` command, nothing added).
  assert.equal(await owned(ipv6), false);
  const before = await allAddresses(lab, 'alpha');
  const take6 = await rm(['takegroup', ipv6], { HBTS_DRY_RUN: '1' });
  assert.equal(take6.exitCode, 0, `${explain(take6)}\n${debugLog()}`);
  assert.match(debugLog(), /IPaddr2: dry run: ip -6 addr add 2001:db8::10\/64 dev eth0 nodad/);
  assert.equal(await allAddresses(lab, 'alpha'), before);
});
