// The config check, case by case: every diagnostic code produced, every directive parsed, the edge cases of issue #2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkConfig, type CheckResult } from '../../src/config/check.js';
import { CONFIG_CODES } from '../../src/config/codes.js';
import { DIRECTIVE_SUPPORT, LEGAL_DIRECTIVES } from '../../src/config/directives.js';
import { fakeHost, type HostFacts } from '../../src/config/host-facts.js';
import { parseResourceSpec } from '../../src/config/haresources.js';
import { parseTime } from '../../src/config/time-value.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';

const HOST = fakeHost({
  interfaces: ['lo', 'eth0'],
  files: { '/usr/libexec/heartbeat/ipfail': 'executable', '/dev/ttyS0': 'char-device', '/etc/passwd': 'file' },
  users: ['root', 'hacluster'],
  groups: ['root', 'haclient'],
});
const BASE = 'logfacility local0\nkeepalive 1\ndeadtime 10\ninitdead 20\nbcast eth0\nauto_failback on\nnode alpha bravo\n';
const RES = 'alpha 198.51.100.10 httpd\n';
const KEYS = 'auth 1\n1 sha1 secret\n';

function check(haCf: string, opts: { res?: string | undefined; keys?: string | undefined; mode?: number; node?: string; host?: HostFacts; monitors?: string | undefined } = {}): CheckResult {
  return checkConfig(
    {
      haCf: { path: 'ha.cf', text: haCf },
      haresources: { path: 'haresources', text: 'res' in opts ? opts.res : RES },
      authkeys: { path: 'authkeys', text: 'keys' in opts ? opts.keys : KEYS, mode: opts.mode ?? 0o600 },
      ...('monitors' in opts ? { monitors: { path: 'monitors', text: opts.monitors, error: 'permission denied' } } : {}),
    },
    opts.node ?? 'alpha',
    opts.host ?? HOST,
  );
}

const text = (r: CheckResult): string => r.diagnostics.map(formatDiagnostic).join('\n');
const codes = (r: CheckResult): string[] => r.diagnostics.map((d) => d.code);

test('the base configuration is accepted without a single diagnostic', () => {
  const r = check(BASE);
  assert.equal(text(r), '');
  assert.ok(r.config);
  assert.deepEqual(r.config.nodes.map((n) => n.name), ['alpha', 'bravo']);
  assert.equal(r.config.keepaliveMs, 1000);
  assert.equal(r.config.deadtimeMs, 10000);
  assert.equal(r.config.warntimeMs, 5000);
  assert.equal(r.config.deadpingMs, 10000);
  assert.equal(r.config.udpPort, 694);
  assert.equal(r.config.autoFailback, 'on');
  assert.deepEqual(r.config.resourceGroups[0]?.resources.map((x) => [x.script, ...x.args]), [['IPaddr', '198.51.100.10'], ['httpd']]);
});

/** One input per code: each must produce its code (and the table must cover every code). */
const PRODUCERS: Record<keyof typeof CONFIG_CODES, () => CheckResult> = {
  HA_CFG_UNREADABLE: () => checkConfig({ haCf: { path: 'ha.cf', text: undefined }, haresources: { path: 'r', text: RES }, authkeys: { path: 'a', text: KEYS, mode: 0o600 } }, 'alpha', HOST),
  HA_CFG_UNKNOWN_DIRECTIVE: () => check(`${BASE}keepalvie 2\n`),
  HA_CFG_UDP_ALIAS: () => check(`${BASE}udp eth0\n`),
  HA_CFG_BAD_DURATION: () => check(`${BASE}deadtime 10s\n`),
  HA_CFG_LENIENT_VALUE: () => check(`${BASE}keepalive 1..5\n`),
  HA_CFG_BAD_VALUE: () => check(`${BASE}hopfudge 300\n`),
  HA_CFG_BAD_BOOLEAN: () => check(`${BASE}realtime sometimes\n`),
  HA_CFG_DUPLICATE: () => check(`${BASE}baud 19200\nbaud 9600\n`),
  HA_CFG_ORDER: () => check(`${BASE}udpport 700\n`),
  HA_CFG_NO_EFFECT: () => check(`${BASE}realtime on\n`),
  HA_CFG_OBSOLETE: () => check(`${BASE}nice_failback on\n`),
  HA_CFG_PACEMAKER: () => check(`${BASE}crm on\n`),
  HA_CFG_AUTOJOIN: () => check(`${BASE}autojoin other\n`),
  HA_CFG_NO_MEDIA: () => check(BASE.replace('bcast eth0\n', '')),
  HA_CFG_NO_NODES: () => check(BASE.replace('node alpha bravo\n', '')),
  HA_CFG_LOCAL_NODE_MISSING: () => check(BASE, { node: 'charlie' }),
  HA_CFG_TOO_MANY: () => check(`${BASE}node ${Array.from({ length: 100 }, (_, i) => `n${i}`).join(' ')}\n`),
  HA_CFG_TIMING: () => check(`${BASE}deadtime 2\n`),
  HA_CFG_TIMING_ADVICE: () => check(`${BASE}deadtime 3\ninitdead 5\n`),
  HA_CFG_NO_INTERFACE: () => check(`${BASE}bcast eth9\n`),
  HA_CFG_LINK_DOWN: () => check(BASE, { host: fakeHost({ interfaces: ['lo', 'eth0'], noCarrier: ['eth0'] }) }),
  HA_CFG_BAD_MEDIUM: () => check(`${BASE}mcast eth0 239.0.0.1 694 5 0\n`),
  HA_CFG_BAD_SERIAL: () => check(`${BASE}serial ttyS0\n`),
  HA_CFG_BAD_HOST: () => check(`${BASE}ping router.example.org\n`),
  HA_CFG_BAD_USER: () => check(`${BASE}respawn nosuchuser /usr/libexec/heartbeat/ipfail\n`),
  HA_CFG_BAD_PROGRAM: () => check(`${BASE}respawn hacluster ipfail\n`),
  HA_CFG_IPFAIL_BUILTIN: () => check(`${BASE}respawn hacluster /usr/lib/heartbeat/ipfail\n`),
  HA_CFG_BAD_APIAUTH: () => check(`${BASE}apiauth foo\n`),
  HA_CFG_LOGGING: () => check(`${BASE.replace('logfacility local0\n', '')}use_logd off\n`),
  HA_CFG_LEGACY_FAILBACK: () => check(BASE.replace('auto_failback on\n', '')),
  HA_RES_UNREADABLE: () => check(BASE, { res: undefined }),
  HA_RES_UNKNOWN_NODE: () => check(BASE, { res: 'charlie 198.51.100.10\n' }),
  HA_RES_PING_NODE_OWNER: () => check(`${BASE}ping 198.51.100.1\n`, { res: '198.51.100.1 198.51.100.10\n' }),
  HA_RES_EMPTY_SPEC: () => check(BASE, { res: 'alpha IPaddr::\n' }),
  HA_RES_TRAILING_CONTINUATION: () => check(BASE, { res: 'alpha 198.51.100.10 \\' }),
  HA_AUTH_UNREADABLE: () => check(BASE, { keys: undefined }),
  HA_AUTH_PERMISSIONS: () => check(BASE, { mode: 0o644 }),
  HA_AUTH_BAD_AUTH_LINE: () => check(BASE, { keys: 'auth one\n1 sha1 x\n' }),
  HA_AUTH_BAD_LINE: () => check(BASE, { keys: 'auth 1\nsha1 x\n1 sha1 x\n' }),
  HA_AUTH_BAD_INDEX: () => check(BASE, { keys: 'auth 1\n16 sha1 x\n1 sha1 x\n' }),
  HA_AUTH_UNKNOWN_METHOD: () => check(BASE, { keys: 'auth 1\n1 SHA1 x\n' }),
  HA_AUTH_KEY_NOT_ALLOWED: () => check(BASE, { keys: 'auth 1\n1 crc x\n' }),
  HA_AUTH_KEY_REQUIRED: () => check(BASE, { keys: 'auth 1\n1 md5\n' }),
  HA_AUTH_NO_AUTH_LINE: () => check(BASE, { keys: '1 sha1 x\n' }),
  HA_AUTH_KEY_NOT_FOUND: () => check(BASE, { keys: '1 sha1 x\nauth 1\n' }),
  HA_AUTH_WEAK: () => check(BASE, { keys: 'auth 1\n1 crc\n' }),
  HA_AUTH_IGNORED_TEXT: () => check(BASE, { keys: 'auth 1\n1 sha1 key and more\n' }),
  HA_MON_UNREADABLE: () => check(BASE, { monitors: undefined }),
  HA_MON_UNKNOWN_RESOURCE: () => check(BASE, { monitors: 'apache interval=5\n' }),
  HA_MON_BAD_TIME: () => check(BASE, { monitors: 'httpd interval=5s\n' }),
  HA_MON_BAD_VALUE: () => check(BASE, { monitors: 'httpd fall=0\n' }),
  HA_MON_UNKNOWN_KEY: () => check(BASE, { monitors: 'httpd intervall=5\n' }),
  HA_MON_DUPLICATE: () => check(BASE, { monitors: 'httpd\nhttpd fall=2\n' }),
};

test('monitors: the good lines reach the configuration; every problem is pinpointed in one run', () => {
  const good = check(BASE, { monitors: '# web\nhttpd interval=500ms fall=2 restarts=0 forget=60 check=sh -c "curl -fs http://x/ | grep -q ok"\n198.51.100.10 timeout=3\n' });
  assert.equal(text(good), '');
  assert.deepEqual(good.config?.monitors?.map((m) => [m.resource, m.intervalMs, m.timeoutMs, m.fall, m.restarts, m.forgetMs, m.checkArgv]), [
    ['httpd', 500, 20_000, 2, 0, 60_000, ['sh', '-c', 'curl -fs http://x/ | grep -q ok']],
    ['198.51.100.10', 10_000, 3000, 1, 1, undefined, undefined],
  ]);
  assert.equal(check(BASE).config?.monitors, undefined, 'no file: no monitors');
  const bad = check(BASE, { monitors: 'httpd  interval=5x\nhttpd bogus=1\napache\nhttpd check=sh -c "x\nhttpd\nhttpd\n' });
  assert.equal(bad.config, undefined);
  assert.deepEqual(text(bad).split('\n'), [
    'monitors:1:8: error HA_MON_BAD_TIME: interval "5x" is not a time value above zero (write 5 for seconds or 500ms)',
    'monitors:2:7: error HA_MON_UNKNOWN_KEY: unknown option "bogus" (expected interval, timeout, fall, restarts, forget or check)',
    'monitors:4:7: error HA_MON_BAD_VALUE: check= has an unterminated quote: sh -c "x',
    'monitors:6:1: error HA_MON_DUPLICATE: httpd has a monitors line already (line 5)',
    'monitors:3:1: warning HA_MON_UNKNOWN_RESOURCE: "apache" is not a resource in haresources (write it exactly as there); line ignored',
  ]);
});

for (const code of Object.keys(CONFIG_CODES) as (keyof typeof CONFIG_CODES)[]) {
  test(`code ${code} is produced`, () => {
    const r = PRODUCERS[code]();
    assert.ok(codes(r).includes(code), `expected ${code}, got:\n${text(r)}`);
    for (const d of r.diagnostics) assert.ok(d.code in CONFIG_CODES, `unlisted code ${d.code}`);
  });
}

test('diagnostics are pinpointed: file, line, column of the value', () => {
  const r = check('keepalive 1\ndeadtime   10s\nbcast eth0\nnode alpha\n');
  const d = r.diagnostics.find((x) => x.code === 'HA_CFG_BAD_DURATION');
  assert.deepEqual([d?.file, d?.line, d?.column], ['ha.cf', 2, 12]);
  assert.match(formatDiagnostic(d!), /^ha\.cf:2:12: error HA_CFG_BAD_DURATION: deadtime "10s": /);
});

test('every problem in one run, across the three files', () => {
  const r = check('keepalive 2s\nbcast eth9\nnode alpha\nfrobnicate 1\n', { res: 'charlie x\n', keys: 'auth 1\n1 SHA1 k\n', mode: 0o640 });
  for (const c of ['HA_CFG_BAD_DURATION', 'HA_CFG_NO_INTERFACE', 'HA_CFG_UNKNOWN_DIRECTIVE', 'HA_RES_UNKNOWN_NODE', 'HA_AUTH_PERMISSIONS', 'HA_AUTH_UNKNOWN_METHOD']) {
    assert.ok(codes(r).includes(c), `${c} missing:\n${text(r)}`);
  }
});

test('time values follow cl_get_msec, including its leniency, and 2s is refused', () => {
  const cases: [string, number, boolean][] = [
    ['2', 2000, false], ['1.5', 1500, false], ['1500ms', 1500, false], ['500us', 1, false], ['1500us', 2, false],
    ['5000msec', 5000, false], ['2.5', 2500, false], ['2s', -1, false], ['1e3ms', -1, false], ['ms', -1, false],
    ['.', 0, true], ['1..5', 1000, true], ['500msxyz', 500, true], ['10MS', 10, true], ['-1', -1, false],
  ];
  for (const [input, ms, lenient] of cases) assert.deepEqual(parseTime(input), { ms, lenient }, input);
});

test('commas and blanks separate values; # starts a comment anywhere; CRLF is fine', () => {
  const r = check('keepalive 1#comment\r\ndeadtime 10 # x\r\ninitdead 20\r\nbcast\teth0,lo\r\nauto_failback on\r\nnode alpha,bravo, charlie\r\n');
  assert.equal(r.config?.nodes.length, 3, text(r));
  assert.deepEqual(r.config?.media.map((m) => (m.kind === 'bcast' ? m.iface : '')), ['eth0', 'lo']);
});

test('auto_failback takes every boolean spelling and legacy; nice_failback maps as 3.0.6 does', () => {
  for (const [v, want] of [['yes', 'on'], ['Y', 'on'], ['1', 'on'], ['TRUE', 'on'], ['n', 'off'], ['false', 'off'], ['0', 'off'], ['Legacy', 'legacy']] as const) {
    assert.equal(check(BASE.replace('auto_failback on', `auto_failback ${v}`)).config?.autoFailback, want, v);
  }
  assert.equal(check(BASE.replace('auto_failback on\n', 'nice_failback on\n')).config?.autoFailback, 'legacy');
  const after = check(`${BASE}nice_failback on\n`);
  assert.equal(after.config?.autoFailback, 'off');
  assert.match(text(after), /has been changed to 'auto_failback off'/);
});

test('udp is bcast with a warning; udpport after a medium is warned; odd ports read as atoi reads them', () => {
  const r = check(BASE.replace('bcast eth0', 'udp eth0'));
  assert.equal(r.config?.media[0]?.kind, 'bcast');
  assert.ok(codes(r).includes('HA_CFG_UDP_ALIAS'));
  assert.equal(check(`udpport 70000\n${BASE}`).config?.udpPort, 70000 & 0xffff);
  assert.equal(check(`udpport 12abc\n${BASE}`).config?.udpPort, 12);
  assert.equal(check(`udpport 0\n${BASE}`).config, undefined);
});

test('crm/pacemaker: off is accepted, anything that starts Pacemaker is refused with what to do instead', () => {
  assert.ok(check(`${BASE}crm off\n`).config);
  assert.ok(check(`${BASE}pacemaker no\n`).config);
  for (const v of ['on', 'yes', 'respawn', 'minimal']) {
    const r = check(`${BASE}crm ${v}\n`);
    assert.equal(r.config, undefined, v);
    assert.match(text(r), /haresources \(v1\) way.*crm off/);
  }
  assert.ok(codes(check(`${BASE}crm off\ncrm off\n`)).includes('HA_CFG_DUPLICATE'));
});

test('respawn of the classic ipfail paths resolves to our ipfail; other missing programs are refused', () => {
  for (const p of ['/usr/lib/heartbeat/ipfail', '/usr/lib64/heartbeat/ipfail']) {
    const r = check(`${BASE}respawn hacluster ${p}\n`);
    assert.equal(r.config?.respawn[0]?.program, 'builtin:ipfail', text(r));
  }
  assert.equal(check(`${BASE}respawn hacluster /usr/libexec/heartbeat/ipfail -v\n`).config?.respawn[0]?.program, '/usr/libexec/heartbeat/ipfail');
  assert.equal(check(`${BASE}respawn hacluster /usr/lib/heartbeat/nothing\n`).config, undefined);
});

test('haresources: continuation lines, comments, bare IPs, script::arg::arg, case-insensitive owners', () => {
  const r = check(BASE, { res: '# c\nALPHA \\\n  198.51.100.10/24/eth0 \\\n  Delay::1::0 # why\n  \nbravo MailTo::root@localhost::subject httpd\n' });
  const g = r.config?.resourceGroups ?? [];
  assert.deepEqual(g.map((x) => x.node), ['alpha', 'bravo'], text(r));
  assert.deepEqual(g[0]?.resources.map((x) => [x.script, ...x.args]), [['IPaddr', '198.51.100.10/24/eth0'], ['Delay', '1', '0']]);
  assert.deepEqual(g[1]?.resources.map((x) => [x.script, ...x.args]), [['MailTo', 'root@localhost', 'subject'], ['httpd']]);
});

test('IPv6 addresses reach the script whole', () => {
  const cases: [string, string, string[]][] = [
    ['IPv6addr::2001:db8::10/64', 'IPv6addr', ['2001:db8::10/64']],
    ['IPv6addr::2001:db8::10', 'IPv6addr', ['2001:db8::10']],
    ['IPv6addr::fe80::1/64/eth0', 'IPv6addr', ['fe80::1/64/eth0']],
    ['IPv6addr::2001:db8:0:1::5/64::nic', 'IPv6addr', ['2001:db8:0:1::5/64', 'nic']],
    ['IPv6addr::::1', 'IPv6addr', ['::1']],
    ['IPaddr::198.51.100.10/24::eth0', 'IPaddr', ['198.51.100.10/24', 'eth0']],
    ['Filesystem::/dev/sdb1::/data::ext4', 'Filesystem', ['/dev/sdb1', '/data', 'ext4']],
  ];
  for (const [spec, script, args] of cases) assert.deepEqual(parseResourceSpec(spec), { spec, script, args }, spec);
});

test('authkeys: auth before its method, index range, methods case-sensitive, crc keyless, modes', () => {
  assert.equal(check(BASE, { keys: '# k\n\nauth 15\n  1 md5 Old\n15 sha1 New trailing\n2 crc\n' }).config?.authKeys.activeIndex, 15);
  assert.equal(check(BASE, { keys: 'auth 1x\n1 sha1 k\n' }).config?.authKeys.activeIndex, 1);
  assert.ok(check(BASE, { mode: 0o400 }).config);
  assert.ok(check(BASE, { mode: 0o602 }).config, 'write bits are not checked, as in Heartbeat');
  assert.equal(check(BASE, { mode: 0o604 }).config, undefined);
  assert.equal(check(BASE, { keys: 'auth -1\n1 sha1 k\n' }).config, undefined);
  assert.equal(check(BASE, { keys: 'auth 2\n1 sha1 k\n' }).config, undefined);
});

test('a long comment line spills over as Heartbeat reads it (fgets, 5119 characters)', () => {
  const r = check(`${BASE}#${'x'.repeat(6000)}\n`);
  assert.equal(r.config, undefined);
  assert.match(text(r), /rest of line 8/);
  assert.ok(check(`${BASE}#${'x'.repeat(5000)}\n`).config);
});

test('every directive Heartbeat accepts is known, and the support table covers them all', () => {
  const table = new Set(DIRECTIVE_SUPPORT.map((d) => d.directive));
  for (const d of LEGAL_DIRECTIVES) assert.ok(table.has(d), `${d} missing from DIRECTIVE_SUPPORT`);
  const values: Record<string, string> = {
    cluster: 'lab', hopfudge: '2', warntime: '5', deadping: '20', watchdog: '/dev/watchdog', baud: '38400',
    udpport: '694', logfacility: 'daemon', logfile: '/var/log/ha-log', debugfile: '/var/log/ha-debug',
    rtprio: '50', hbgenmethod: 'time', realtime: 'off', debug: '1', msgfmt: 'netstring', use_logd: 'no',
    conn_logd_time: '60', use_apphbd: 'no', log_badpack: 'false', syslogmsgfmt: 'true', coredumps: 'true',
    coreroot: '/var/lib/heartbeat/cores', crm_daemon_dir: '/usr/lib/pacemaker', crmd_spawns_pengine: 'yes',
    crm: 'off', pacemaker: 'off', autojoin: 'none', uuidfrom: 'nodename', compression: 'bz2',
    compression_threshold: '4', traditional_compression: 'yes', env: 'FOO=bar', max_rexmit_delay: '300',
    record_config_changes: 'on', record_pengine_inputs: 'on', enable_config_writes: 'off', memreserve: '7000',
    quorum_server: 'q.example', node: 'charlie', keepalive: '500ms', deadtime: '5', initdead: '30',
    nice_failback: 'on', auto_failback: 'off', bcast: 'lo', serial: '/dev/ttyS0', ping: '198.51.100.1',
    ping6: '2001:db8::1', ucast: 'eth0 198.51.100.12', mcast: 'eth0 239.0.0.43 694 1 0',
    ping_group: 'routers 198.51.100.1 198.51.100.2', ucast6: 'eth0 2001:db8::2', mcast6: 'eth0 ff02::1:2 694 1 0',
    stonith: 'null /etc/ha.d/stonith.cfg', stonith_host: '* null alpha', apiauth: 'cl_status gid=haclient',
    respawn: 'hacluster /usr/libexec/heartbeat/ipfail', failfast: 'hacluster /usr/libexec/heartbeat/ipfail',
  };
  for (const d of LEGAL_DIRECTIVES) {
    const v = values[d];
    assert.ok(v !== undefined, `no sample value for ${d}`);
    const other = d === 'pacemaker' ? '' : '';
    const r = check(`${BASE}${d} ${v}\n${other}`);
    assert.ok(r.config !== undefined, `${d} ${v} refused:\n${text(r)}`);
    const warned = DIRECTIVE_SUPPORT.find((x) => x.directive === d)?.support === 'warned';
    if (warned && d !== 'nice_failback') assert.ok(codes(r).includes('HA_CFG_NO_EFFECT'), `${d} should say it has no effect:\n${text(r)}`);
  }
});

test('the parsers never throw and always answer, whatever the files contain', () => {
  const line = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom(...[...LEGAL_DIRECTIVES].map((d) => `${d} `)).chain((d) => fc.string({ maxLength: 30 }).map((v) => d + v)),
  );
  const file = fc.array(line, { maxLength: 20 }).map((ls) => ls.join('\n'));
  fc.assert(
    fc.property(file, file, file, fc.integer({ min: 0, max: 0o777 }), fc.string({ maxLength: 10 }), (haCf, res, keys, mode, node) => {
      const r = checkConfig({ haCf: { path: 'ha.cf', text: haCf }, haresources: { path: 'r', text: res }, authkeys: { path: 'a', text: keys, mode } }, node, HOST);
      assert.equal(r.config === undefined, r.diagnostics.some((d) => d.severity === 'error'));
    }),
    { numRuns: 3000 },
  );
});

test('mutations of a good configuration never throw either', () => {
  const good = `${BASE}udpport 694\nping 198.51.100.1\nrespawn hacluster /usr/lib/heartbeat/ipfail\n`;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: good.length }), fc.integer({ min: 0, max: 20 }), fc.string({ maxLength: 8 }), (at, del, ins) => {
      checkConfig({ haCf: { path: 'h', text: good.slice(0, at) + ins + good.slice(at + del) }, haresources: { path: 'r', text: RES }, authkeys: { path: 'a', text: KEYS, mode: 0o600 } }, 'alpha', HOST);
    }),
    { numRuns: 3000 },
  );
});

test('a 5,000-line ha.cf is checked in linear time', () => {
  const big = BASE + Array.from({ length: 5000 }, (_, i) => (i % 2 ? `# comment ${i}` : `ping 198.51.100.${(i % 250) + 1}`)).join('\n');
  const r = check(big);
  assert.ok(r.config !== undefined || r.diagnostics.length > 0);
});

test('quorum_server is recorded as itself and leaves the cluster parameter alone (heartbeat 3.0.6 getparm cluster)', () => {
  const withDefault = check(`${BASE}quorum_server 198.51.100.7\n`);
  assert.equal(withDefault.config?.cluster, 'linux-ha');
  assert.equal(withDefault.config?.values.get('quorum_server'), '198.51.100.7');
  assert.equal(withDefault.config?.values.get('cluster'), undefined);
  const named = check(`${BASE}cluster lab\nquorum_server 198.51.100.7\n`);
  assert.equal(named.config?.cluster, 'lab');
  assert.equal(named.config?.values.get('cluster'), 'lab');
  assert.equal(named.config?.values.get('quorum_server'), '198.51.100.7');
});
