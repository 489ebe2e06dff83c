// rc.d notifications, decided: which events qualify (heartbeat 3.0.6 QueueRemoteRscReq), stock vs user scripts, argv and HA_* env.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  deadNotice,
  describeRcDirectory,
  heartbeatQueues,
  isStockRcScript,
  linkNotice,
  lowerType,
  NATIVE_RC_TYPES,
  nativeConflictWarning,
  planRcNotification,
  rcEnvironment,
  STOCK_RC_SCRIPTS,
  type RcDirectory,
  type RcField,
  type RcLocalState,
  type RcPlan,
  type RcPlanInput,
  type RcSkipReason,
  type RcSource,
} from '../../src/resources/rc-notify.js';
import { fixturesDir } from '../helpers/paths.js';

const ME = 'alpha';
const PEER = 'bravo';
const ACTIVE: RcLocalState = { localStatus: 'active' };

/** rc.d with the five stock scripts (status etc. stock unless listed in `modified`) plus `extra` user scripts. */
function rcd(o: { modified?: string[]; extra?: string[]; native?: ReadonlySet<string> } = {}): RcDirectory {
  const names = new Set([...STOCK_RC_SCRIPTS.keys(), ...(o.extra ?? [])]);
  const modified = new Set(o.modified ?? []);
  return { names, isStock: (n) => STOCK_RC_SCRIPTS.has(n) && !modified.has(n), native: o.native ?? NATIVE_RC_TYPES };
}

function plan(source: RcSource, fields: readonly RcField[], extra: Partial<RcPlanInput> = {}): RcPlan {
  return planRcNotification({
    source,
    fields,
    local: ACTIVE,
    rcd: rcd(),
    viaHarc: true,
    configDir: '/etc/ha.d',
    localNode: ME,
    niceFailback: true,
    inherited: { PATH: '/usr/bin:/bin', HA_LOGFILE: '/var/log/ha-log', HA_DEBUGLOG: '/var/log/ha-debug', HA_LOGFACILITY: 'local0', HA_debug: '1' },
    funcsFile: '/etc/ha.d/shellfuncs',
    ...extra,
  });
}

function outcome(p: RcPlan): string {
  return p.run ? `run ${p.argv.join(' ')}` : `skip ${p.skip}`;
}

/* ------------------------------------------------------------------ which events qualify */

const msg = (t: string, src: string, ...more: RcField[]): RcField[] => [['t', t], ...more, ['src', src], ['seq', '1f'], ['hg', '6b05da3e'], ['ts', '6b05dab1'], ['ttl', '3'], ['auth', '1 abc']];

test('which events run a notification: Heartbeat\'s QueueRemoteRscReq call sites, then the rc.d and stock-script filters', () => {
  const dir = rcd({ modified: ['hb_takeover'], extra: ['ifstat', 'stonith', 'num_ping_nodes', 'NS_ackmsg', 'resource', 'starting', 'Mixed'] });
  const cases: [string, RcSource, RcField[], string, Partial<RcPlanInput>?][] = [
    // status changes of other nodes: rc.d/status is stock and we take over natively
    ['peer status change, stock rc.d/status', 'status-change', msg('status', PEER, ['st', 'active']), 'skip native-stock'],
    ['dead notice, stock rc.d/status', 'status-change', deadNotice(PEER, 0x6b05dab1, false), 'skip native-stock'],
    ['our own status', 'status-change', msg('status', ME, ['st', 'active']), 'skip own-status'],
    ['peer status change, user-modified rc.d/status', 'status-change', msg('status', PEER, ['st', 'dead']), 'run /etc/ha.d/harc status', { rcd: rcd({ modified: ['status'] }) }],
    ['ping node status change (NS_st) with no rc.d/NS_st', 'status-change', msg('NS_st', 'gw', ['st', 'ping']), 'skip no-script'],
    // ifstat
    ['link notice, user rc.d/ifstat', 'local-notice', linkNotice(PEER, 'eth0', 'dead'), 'run /etc/ha.d/harc ifstat'],
    ['link notice, no rc.d/ifstat', 'local-notice', linkNotice(PEER, 'eth0', 'up'), 'skip no-script', { rcd: rcd() }],
    // ip-request / ip-request-resp
    ['ip-request from the peer, stock script', 'message', msg('ip-request', PEER, ['ipaddr', '198.51.100.10']), 'skip native-stock'],
    ['ip-request from us', 'message', msg('ip-request', ME, ['ipaddr', '198.51.100.10']), 'skip own-request'],
    ['ip-request from the peer, modified script', 'message', msg('ip-request', PEER, ['ipaddr', '198.51.100.10']), 'run /etc/ha.d/harc ip-request', { rcd: rcd({ modified: ['ip-request'] }) }],
    ['ip-request-resp from us (req_resource), modified', 'message', msg('ip-request-resp', ME, ['dest', ME]), 'run /etc/ha.d/harc ip-request-resp', { rcd: rcd({ modified: ['ip-request-resp'] }) }],
    ['ip-request-resp while shutting down', 'message', msg('ip-request-resp', PEER, ['dest', ME]), 'skip shutting-down', { local: { localStatus: 'active', shuttingDown: true }, rcd: rcd({ modified: ['ip-request-resp'] }) }],
    // the default handler: types nobody handles, ours or the peer's
    ['hb_takeover from the peer, modified script', 'message', msg('hb_takeover', PEER, ['rsc_hold', 'all']), 'run /etc/ha.d/harc hb_takeover'],
    ['hb_takeover from us, modified script (it checks HA_src itself)', 'message', msg('hb_takeover', ME, ['rsc_hold', 'all']), 'run /etc/ha.d/harc hb_takeover'],
    ['hb_takeover, stock script', 'message', msg('hb_takeover', PEER, ['rsc_hold', 'all']), 'skip native-stock', { rcd: rcd() }],
    ['stonith, user script', 'message', msg('stonith', ME, ['node', PEER], ['result', 'n_stnth']), 'run /etc/ha.d/harc stonith'],
    ['client message type, user script', 'message', msg('num_ping_nodes', PEER, ['num_ping', '1']), 'run /etc/ha.d/harc num_ping_nodes'],
    ['unknown type, no script', 'message', msg('hbapi-clstat', PEER), 'skip no-script'],
    ['mixed-case type: rc.d/Mixed qualifies it, harc gets lower(t)', 'message', msg('Mixed', PEER), 'run /etc/ha.d/harc mixed'],
    ['mixed-case type: rc.d/mixed alone does not qualify it', 'message', msg('MIXED', PEER), 'skip no-script'],
    ['before comm-up', 'message', msg('stonith', ME), 'skip before-comm-up', { local: { localStatus: 'up', commUp: false } }],
    // types with their own handler never reach rc.d as messages, even with a script of that name
    ['resource', 'message', msg('resource', PEER, ['rsc_hold', 'local']), 'skip handled-by-heartbeat'],
    ['starting', 'message', msg('starting', PEER), 'skip handled-by-heartbeat'],
    ['ask_resources (stock rc.d/ask_resources is never run)', 'message', msg('ask_resources', PEER, ['rsc_hold', 'foreign'], ['info', 'me']), 'skip handled-by-heartbeat'],
    ['NS_ackmsg', 'message', msg('NS_ackmsg', PEER), 'skip handled-by-heartbeat'],
    ['a plain status message is not a change', 'message', msg('status', PEER, ['st', 'active']), 'skip handled-by-heartbeat'],
    ['shutdone', 'message', msg('shutdone', PEER, ['st', 'dead']), 'skip handled-by-heartbeat'],
    // types Heartbeat cannot take
    ['no t', 'message', [['src', PEER]], 'skip no-type'],
    ['t of 32 bytes (STATUSLENG)', 'message', msg('x'.repeat(32), PEER), 'skip no-type', { rcd: rcd({ extra: ['x'.repeat(32)] }) }],
    ['t with a slash', 'message', msg('../../bin/sh', PEER), 'skip no-type'],
  ];
  for (const [name, source, fields, expected, extra] of cases) {
    assert.equal(outcome(plan(source, fields, { rcd: dir, ...extra })), expected, name);
  }
});

test('heartbeatQueues alone: only the call-site rules, before rc.d is looked at', () => {
  const rows: [RcSource, RcField[], RcLocalState, RcSkipReason | undefined][] = [
    ['status-change', msg('status', PEER, ['st', 'up']), ACTIVE, undefined],
    ['status-change', msg('status', ME, ['st', 'up']), ACTIVE, 'own-status'],
    ['local-notice', linkNotice(PEER, 'eth0', 'up'), { localStatus: 'up', commUp: false }, undefined],
    ['message', msg('ip-request', PEER), { localStatus: 'up', commUp: false }, 'before-comm-up'],
    ['message', msg('ip-request-resp', ME), { localStatus: 'active', shuttingDown: true }, 'shutting-down'],
    ['message', msg('ip-request-resp', ME), ACTIVE, undefined],
    ['message', msg('repnodes', PEER), ACTIVE, 'handled-by-heartbeat'],
    ['message', [['t', '']], ACTIVE, 'no-type'],
  ];
  for (const [source, fields, local, expected] of rows) assert.equal(heartbeatQueues(source, fields, ME, local), expected, `${source} ${fields[0]?.[1] ?? ''}`);
});

test('a natively handled type outside the native set runs its stock script (the daemon chooses the set)', () => {
  const native = new Set(['status']);
  const p = plan('message', msg('ip-request', PEER, ['ipaddr', '198.51.100.10']), { rcd: rcd({ native }) });
  assert.equal(outcome(p), 'run /etc/ha.d/harc ip-request');
});

test('without harc the rc.d script is run directly, as harc execs it: rc.d/<lower t> <lower t>', () => {
  const p = plan('message', msg('Stonith', ME), { viaHarc: false, rcd: rcd({ extra: ['Stonith'] }) });
  assert.ok(p.run);
  assert.deepEqual(p.argv, ['/etc/ha.d/rc.d/stonith', 'stonith']);
  assert.equal(p.command, 'stonith');
  assert.equal(lowerType('IP-Request_Ä'), 'ip-request_Ä', 'C tolower: ASCII only');
});

/* ------------------------------------------------------------------ the environment */

test('environment: the daemon\'s, then every field as HA_<name> in order, then HA_OSTATUS, HA_NICEFAILBACK, HA_LOGD', () => {
  const fields: RcField[] = [['t', 'stonith'], ['node', PEER], ['result', 'n_stnth'], ['src', ME], ['seq', '2a'], ['hg', '6b05da3e'], ['ts', '6b05dab1'], ['ld', '0.38 0.28 0.12 1/105 15794'], ['ttl', '3'], ['auth', '1 7cdc69']];
  const p = plan('message', fields, { rcd: rcd({ extra: ['stonith'] }), local: { localStatus: 'active' } });
  assert.ok(p.run);
  assert.deepEqual(p.argv, ['/etc/ha.d/harc', 'stonith']);
  assert.deepEqual(p.env, {
    PATH: '/usr/bin:/bin',
    HA_LOGFILE: '/var/log/ha-log',
    HA_DEBUGLOG: '/var/log/ha-debug',
    HA_LOGFACILITY: 'local0',
    HA_debug: '1',
    HA_CURHOST: ME,
    HA_DIR: '/etc/ha.d',
    HA_RCDIR: '/etc/ha.d/rc.d',
    HA_FUNCS: '/etc/ha.d/shellfuncs',
    HA_DATEFMT: '%Y/%m/%d_%T\t',
    OCF_ROOT: '/usr/lib/ocf',
    HA_t: 'stonith',
    HA_node: PEER,
    HA_result: 'n_stnth',
    HA_src: ME,
    HA_seq: '2a',
    HA_hg: '6b05da3e',
    HA_ts: '6b05dab1',
    HA_ld: '0.38 0.28 0.12 1/105 15794',
    HA_ttl: '3',
    HA_auth: '1 7cdc69',
    HA_OSTATUS: 'active',
    HA_NICEFAILBACK: 'yes',
    HA_LOGD: 'no',
  });
});

test('environment details: legacy mode, inherited values, duplicates, odd names, protected names, bytes', () => {
  const base = { fields: [] as RcField[], inherited: {}, configDir: '/cfg', localNode: ME, localStatus: 'up', niceFailback: false, funcsFile: '/etc/ha.d/shellfuncs' };
  // legacy mode: no HA_NICEFAILBACK, even if the daemon's environment had one
  const legacy = rcEnvironment({ ...base, inherited: { HA_NICEFAILBACK: 'yes', HA_LOGD: 'yes', HA_CURHOST: 'other', HA_DIR: '/elsewhere', HA_FUNCS: '/my/funcs', PATH: '/p' } });
  assert.equal(legacy['HA_NICEFAILBACK'], undefined);
  assert.equal(legacy['HA_LOGD'], 'no');
  assert.equal(legacy['HA_CURHOST'], ME, 'HA_CURHOST is always this node');
  assert.equal(legacy['HA_DIR'], '/cfg', 'HA_DIR is where rc.d was listed');
  assert.equal(legacy['HA_RCDIR'], '/cfg/rc.d');
  assert.equal(legacy['HA_FUNCS'], '/my/funcs', 'an inherited HA_FUNCS is kept');
  assert.equal(legacy['PATH'], '/p');
  assert.equal(legacy['HA_OSTATUS'], 'up');
  assert.equal(rcEnvironment(base)['PATH'], '/usr/sbin:/usr/bin:/sbin:/bin', 'a PATH when the daemon gave none');

  const env = rcEnvironment({
    ...base,
    fields: [
      ['info', 'first'],
      ['info', 'second'], // setenv in message order: the later one wins
      ['FUNCS', '/tmp/evil'], // may not replace what harc sources
      ['OSTATUS', 'bogus'],
      ['CURHOST', 'bogus'],
      ['a=b', 'x'], // setenv refuses names with "="
      ['n'.repeat(70), 'long'], // ename[64]: "HA_" + 60 characters
      ['text', 'caf\u00c3\u00a9'], // the UTF-8 bytes of "café", as the wire model keeps them (latin1)
      ['raw', '\u00e9t\u00e9'], // not UTF-8: passed as those characters
      ['nul', 'before\0after'], // setenv stops at NUL
    ],
  });
  assert.equal(env['HA_info'], 'second');
  assert.equal(env['HA_FUNCS'], '/etc/ha.d/shellfuncs');
  assert.equal(env['HA_OSTATUS'], 'up');
  assert.equal(env['HA_CURHOST'], ME);
  assert.equal(Object.keys(env).some((k) => k.includes('=')), false);
  assert.equal(env[`HA_${'n'.repeat(60)}`], 'long');
  assert.equal(env['HA_text'], 'café');
  assert.equal(env['HA_raw'], '\u00e9t\u00e9');
  assert.equal(env['HA_nul'], 'before');
});

test('synthetic notices are Heartbeat\'s: takeover_from_node and change_link_status', () => {
  assert.deepEqual(deadNotice(PEER, 0x6b05dab1, false), [['t', 'status'], ['seq', '1'], ['ts', '6b05dab1'], ['src', PEER], ['st', 'dead']]);
  assert.deepEqual(deadNotice('gw', 16, true), [['t', 'status'], ['seq', '1'], ['ts', '10'], ['src', 'gw'], ['st', 'dead'], ['info', 'ping']]);
  assert.deepEqual(linkNotice(PEER, 'eth0', 'dead'), [['t', 'ifstat'], ['node', PEER], ['ifname', 'eth0'], ['st', 'dead']]);
});

/* ------------------------------------------------------------------ stock scripts */

test('the stock hashes are those of the Debian 3.0.6 files copied into test/fixtures/rc.d-stock', () => {
  const dir = path.join(fixturesDir, 'rc.d-stock');
  assert.deepEqual(fs.readdirSync(dir).sort(), [...STOCK_RC_SCRIPTS.keys()].sort());
  for (const name of STOCK_RC_SCRIPTS.keys()) {
    const bytes = fs.readFileSync(path.join(dir, name));
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.ok(isStockRcScript(name, sha), `${name} is recognised as stock`);
    assert.ok(isStockRcScript(name, sha.toUpperCase()), 'hex case does not matter');
    const edited = crypto.createHash('sha256').update(Buffer.concat([bytes, Buffer.from('\n# local change\n')])).digest('hex');
    assert.equal(isStockRcScript(name, edited), false, `an edited ${name} is not stock`);
  }
  const statusSha = STOCK_RC_SCRIPTS.get('status') ?? '';
  assert.equal(isStockRcScript('ip-request', statusSha), false, 'a stock script under another name is not that name\'s stock script');
});

test('what is said once when rc.d is listed: stock scripts skipped (one line), a warning per modified native script', () => {
  const lines = describeRcDirectory(rcd({ modified: ['status', 'ask_resources'], extra: ['ifstat'] }), '/etc/ha.d/rc.d');
  assert.deepEqual(lines, [
    { level: 'info', text: "/etc/ha.d/rc.d: hb_takeover, ip-request, ip-request-resp: Heartbeat's stock scripts; heartbeat-ts does their work itself and does not run them" },
    { level: 'info', text: '/etc/ha.d/rc.d/ask_resources: never run (Heartbeat 3.0.6 handles `ask_resources` itself and never runs it either)' },
    { level: 'warn', text: "rc.d/status is not Heartbeat's stock script; heartbeat-ts runs it as a notification and handles `status` itself; it must not acquire or release resources" },
  ]);
  assert.equal(nativeConflictWarning('status'), lines[2]?.text);
  assert.deepEqual(describeRcDirectory({ names: new Set(['ifstat']), isStock: () => false, native: NATIVE_RC_TYPES }, '/x/rc.d'), [], 'user scripts alone: nothing to say');
});
