// apiauth decisions (src/daemon/api/api-auth.ts) as Heartbeat 3.0.6 makes them: defaults, overrides, uid OR gid, unknown names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../src/config/check.js';
import { fakeHost } from '../../src/config/host-facts.js';
import type { ApiAuth } from '../../src/config/model.js';
import { checkApiAuth, parseIdFile, resolveApiAuth, type ApiAuthClient, type ApiAuthPolicy } from '../../src/daemon/api/api-auth.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  '# a comment line',
  'hacluster:x:102:105::/var/lib/heartbeat:/usr/sbin/nologin',
  'alice:x:1000:1000::/home/alice:/bin/sh',
  'broken line',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  'hacluster:x:999:999:a second hacluster line (getpwnam returns the first):/:/bin/false',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'haclient:x:105:alice', 'alice:x:1000:', 'nogroup:x:65534:', ''].join('\n');
const USERS = parseIdFile(PASSWD);
const GROUPS = parseIdFile(GROUP);

/** The rules the configuration layer hands over for this ha.cf tail (defaults added by src/config). */
function rulesFrom(lines: readonly string[]): readonly ApiAuth[] {
  const haCf = ['keepalive 1', 'deadtime 10', 'initdead 20', 'bcast eth0', 'auto_failback on', 'node alpha bravo', ...lines, ''].join('\n');
  const host = fakeHost({ users: ['root', 'hacluster', 'alice', 'nobody'], groups: ['root', 'haclient', 'alice', 'nogroup'] });
  const r = checkConfig(
    { haCf: { path: 'ha.cf', text: haCf }, haresources: { path: 'haresources', text: '' }, authkeys: { path: 'authkeys', text: 'auth 1\n1 sha1 k\n', mode: 0o600 } },
    'alpha',
    host,
  );
  assert.ok(r.config !== undefined, r.diagnostics.map((d) => d.message).join('\n'));
  return r.config.apiAuth;
}

const policyFor = (lines: readonly string[]): ApiAuthPolicy => resolveApiAuth(rulesFrom(lines), USERS, GROUPS);
const casual = (uid: number, gid: number): ApiAuthClient => ({ clientId: '4242', casual: true, uid, gid });
const named = (clientId: string, uid: number, gid: number): ApiAuthClient => ({ clientId, casual: false, uid, gid });
const verdict = (p: ApiAuthPolicy, c: ApiAuthClient): string => {
  const v = checkApiAuth(p, c);
  return v.allowed ? `allowed by ${v.rule.client}` : v.reason;
};

test('passwd/group parsing: first entry wins, comments and broken lines skipped', () => {
  assert.equal(USERS.get('hacluster'), 102);
  assert.equal(USERS.get('root'), 0);
  assert.equal(USERS.has('broken line'), false);
  assert.equal(USERS.has('# a comment line'), false);
  assert.equal(GROUPS.get('haclient'), 105);
});

test('defaults: anon = uid root or gid haclient; ipfail and ccm = hacluster; ping = gid haclient; lha-snmpagent = root', () => {
  const p = policyFor([]);
  assert.deepEqual(p.problems, []);
  assert.deepEqual([...p.rules.keys()].sort(), ['anon', 'ccm', 'ipfail', 'lha-snmpagent', 'ping']);
  assert.equal(verdict(p, casual(0, 0)), 'allowed by anon', 'root runs cl_status');
  assert.equal(verdict(p, casual(1000, 105)), 'allowed by anon', 'setgid-haclient cl_status run by anyone');
  assert.equal(verdict(p, casual(1000, 1000)), 'client failed authorization', 'a member of haclient by supplementary group only: egid counts');
  assert.equal(verdict(p, casual(102, 105)), 'allowed by anon');
  assert.equal(verdict(p, named('ipfail', 102, 105)), 'allowed by ipfail');
  assert.equal(verdict(p, named('ipfail', 102, 0)), 'allowed by ipfail', 'uid alone suffices');
  assert.equal(verdict(p, named('ipfail', 0, 0)), 'client failed authorization', 'not even root: the default names hacluster only');
  assert.equal(verdict(p, named('ipfail', 1000, 105)), 'client failed authorization', 'the ipfail default has no gid list');
  assert.equal(verdict(p, named('ccm', 102, 102)), 'allowed by ccm');
  assert.equal(verdict(p, named('ping', 1000, 105)), 'allowed by ping');
  assert.equal(verdict(p, named('ping', 0, 0)), 'client failed authorization');
  assert.equal(verdict(p, named('lha-snmpagent', 0, 0)), 'allowed by lha-snmpagent');
  assert.equal(verdict(p, named('someclient', 0, 0)), 'no default client auth', 'unknown named client, no default rule: even root');
});

test('ha.cf lines override the defaults, add clients, and `default` covers unnamed clients', () => {
  const p = policyFor(['apiauth ipfail gid=haclient uid=hacluster', 'apiauth anon uid=alice', 'apiauth mytool uid=1000,hacluster', 'apiauth default gid=nogroup']);
  assert.deepEqual(p.problems, []);
  assert.equal(verdict(p, named('ipfail', 1000, 105)), 'allowed by ipfail', 'gid=haclient added');
  assert.equal(verdict(p, casual(0, 0)), 'client failed authorization', 'anon replaced: root is no longer in it');
  assert.equal(verdict(p, casual(0, 105)), 'client failed authorization');
  assert.equal(verdict(p, casual(1000, 1000)), 'allowed by anon');
  assert.equal(verdict(p, named('mytool', 1000, 0)), 'allowed by mytool', 'numeric uid');
  assert.equal(verdict(p, named('mytool', 102, 0)), 'allowed by mytool');
  assert.equal(verdict(p, named('mytool', 0, 65534)), 'client failed authorization', 'a named rule is not widened by `default`');
  assert.equal(verdict(p, named('other', 0, 65534)), 'allowed by default');
  assert.equal(verdict(p, named('other', 0, 0)), 'client failed authorization');
  assert.equal(verdict(p, named('ccm', 102, 0)), 'allowed by ccm', 'other defaults stay');
  const refused = checkApiAuth(p, casual(0, 0));
  assert.ok(!refused.allowed && /rule anon allows uid=alice\(1000\)/.test(refused.detail), JSON.stringify(refused));
});

test('an empty list allows nobody through it (uid= alone refuses everyone), as an empty id table does', () => {
  const p = resolveApiAuth([{ client: 'anon', uids: [], gids: ['haclient'] }, { client: 'x', uids: [], gids: [] }], USERS, GROUPS);
  assert.equal(verdict(p, casual(0, 0)), 'client failed authorization');
  assert.equal(verdict(p, casual(0, 105)), 'allowed by anon');
  assert.equal(verdict(p, named('x', 0, 0)), 'client failed authorization');
});

test('names resolve as cluster-glue resolves them: a leading digit is atoi, long names fail', () => {
  const p = resolveApiAuth([{ client: 'a', uids: ['12abc'], gids: [] }, { client: 'b', uids: ['x'.repeat(64)], gids: [] }], new Map([['x'.repeat(64), 5]]), GROUPS);
  assert.equal(verdict(p, named('a', 12, 0)), 'allowed by a');
  assert.equal(p.rules.has('b'), false);
  assert.equal(p.problems.length, 1);
});

test('unknown users or groups drop the whole rule, logged; the client then gets Heartbeat\'s verdict', () => {
  // A host without hacluster and haclient: the defaults cannot resolve (ha.cf lines naming them are refused
  // earlier, by the configuration check).
  const bare = parseIdFile('root:x:0:0::/root:/bin/sh\n');
  const p = resolveApiAuth(rulesFrom([]), bare, parseIdFile('root:x:0:\n'));
  assert.deepEqual([...p.rules.keys()], ['lha-snmpagent']);
  assert.equal(p.problems.length, 4);
  const anon = p.problems.find((x) => x.startsWith('apiauth anon:')) ?? '';
  assert.match(anon, /group "haclient" is not in \/etc\/group/);
  assert.match(anon, /the rule is dropped.*"apiauth anon missing"/);
  assert.equal(verdict(p, casual(0, 0)), 'apiauth anon missing', 'root too: the whole anon rule is gone, as in Heartbeat');
  assert.equal(verdict(p, named('ipfail', 0, 0)), 'no default client auth');
  // One bad name among good ones is enough.
  const mixed = resolveApiAuth([{ client: 'ipfail', uids: ['hacluster', 'ghost'], gids: [] }], USERS, GROUPS);
  assert.equal(mixed.rules.has('ipfail'), false);
  assert.match(mixed.problems[0] ?? '', /^apiauth ipfail: user "ghost" is not in \/etc\/passwd/);
});
