// API socket codec and request handler against bytes recorded from the real cl_status ↔ Heartbeat 3.0.6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ApiFrameSplitter, API_MAX_BODY_BYTES, decodeApiBody, encodeApiFrame, encodeApiMessage } from '../../src/api/framing.js';
import { handleApiMessage, NEW_SESSION, type ApiAction, type ApiClientRecord, type ApiContext, type ApiSession } from '../../src/api/handler.js';
import { encodeClassic } from '../../src/wire/classic.js';
import { getString, makeMessage, type Message } from '../../src/wire/message.js';
import { fakeView, RECORDED_SITUATION } from '../helpers/api-fake-view.js';
import { fixturesDir } from '../helpers/paths.js';

const CAPTURES = path.join(fixturesDir, 'api', 'real');
const captureNames = fs.readdirSync(CAPTURES).filter((f) => f.endsWith('.c2s.bin')).map((f) => f.slice(0, -'.c2s.bin'.length)).sort();

function frames(bytes: Uint8Array): Uint8Array[] {
  const s = new ApiFrameSplitter(true);
  const r = s.push(bytes);
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  assert.equal(s.bufferedBytes, 0, 'no partial frame left over');
  return r.value;
}

function messages(bytes: Uint8Array): Message[] {
  return frames(bytes).map((b) => {
    const m = decodeApiBody(b);
    assert.ok(m.ok, m.ok ? '' : m.error.detail);
    return m.value;
  });
}

function read(name: string, dir: 'c2s' | 's2c'): Buffer {
  return fs.readFileSync(path.join(CAPTURES, `${name}.${dir}.bin`));
}

function context(over: Partial<ApiContext> = {}): ApiContext {
  return { view: fakeView(RECORDED_SITUATION), findClient: () => undefined, pidAlive: () => true, peer: undefined, daemonUid: 0, clientGeneration: 0, ...over };
}

/** Runs a client's messages through one session; returns the reply bytes, framed, and every action. */
function replay(ms: readonly Message[], ctx: (session: ApiSession) => ApiContext = () => context()): { bytes: Buffer; actions: ApiAction[]; session: ApiSession } {
  let session: ApiSession = NEW_SESSION;
  const out: Buffer[] = [];
  const actions: ApiAction[] = [];
  for (const m of ms) {
    const step = handleApiMessage(session, m, ctx(session));
    session = step.session;
    for (const a of step.actions) {
      actions.push(a);
      if (a.kind === 'reply') out.push(encodeApiMessage(a.message, true));
    }
  }
  return { bytes: Buffer.concat(out), actions, session };
}

test('the captures exist (one per cl_status command recorded)', () => {
  assert.ok(captureNames.length >= 10, `captures in ${CAPTURES}`);
});

for (const name of captureNames) {
  test(`capture ${name}: frames split identically at every offset, decode, and re-encode byte for byte`, () => {
    for (const dir of ['c2s', 's2c'] as const) {
      const bytes = read(name, dir);
      const whole = frames(bytes).map((b) => Buffer.from(b).toString('latin1'));
      for (let cut = 0; cut <= bytes.length; cut++) {
        const s = new ApiFrameSplitter(true);
        const a = s.push(bytes.subarray(0, cut));
        const b = s.push(bytes.subarray(cut));
        assert.ok(a.ok && b.ok);
        assert.deepEqual([...a.value, ...b.value].map((x) => Buffer.from(x).toString('latin1')), whole, `${dir} cut at ${cut}`);
      }
      const again = Buffer.concat(messages(bytes).map((m) => encodeApiMessage(m, true)));
      assert.ok(again.equals(bytes), `${dir}: re-encoding gives the recorded bytes`);
    }
  });

  test(`capture ${name}: our handler answers the recorded requests with the recorded reply bytes`, () => {
    const requests = messages(read(name, 'c2s'));
    // The client library signs on, asks, then signs off (no reply to signoff).
    assert.equal(getString(requests[0] as Message, 'reqtype'), 'signon');
    assert.equal(getString(requests[requests.length - 1] as Message, 'reqtype'), 'signoff');
    let signedOn: ApiClientRecord | undefined;
    const r = replay(requests, (session) => {
      if (session.phase === 'signed-on') signedOn = session.client;
      return context({ findClient: (id, pid) => (signedOn !== undefined && (signedOn.clientId === id || signedOn.pid === pid) ? signedOn : undefined) });
    });
    assert.equal(r.bytes.toString('latin1'), read(name, 's2c').toString('latin1'));
    assert.deepEqual(r.session, { phase: 'closed', reason: 'signoff' });
  });
}

test('the recorded signon request: field order of the client library (hb_api_boilerplate + uid/gid)', () => {
  const signon = messages(read('listnodes', 'c2s'))[0] as Message;
  assert.deepEqual(signon.fields.map((f) => f.name), ['t', 'reqtype', 'dest', 'pid', 'from_id', 'uid', 'gid']);
  assert.equal(getString(signon, 'pid'), getString(signon, 'from_id'), 'cl_status is a casual client: from_id = its pid');
});

test('header: length counts the NUL; host order; magic 0xabcd', () => {
  const m = makeMessage([['t', 'x']]);
  const f = encodeApiMessage(m, true);
  const body = encodeClassic(m, { trailingNul: true });
  assert.equal(f.readInt32LE(0), body.length);
  assert.equal(f.readUInt32LE(4), 0xabcd);
  assert.equal(f[f.length - 1], 0);
  const be = encodeApiFrame(body, false);
  assert.equal(be.readInt32BE(0), body.length);
  const s = new ApiFrameSplitter(false);
  const r = s.push(be);
  assert.ok(r.ok && r.value.length === 1);
});

test('framing errors: bad magic, negative or oversized length; the splitter stays failed and holds nothing', () => {
  const bad = Buffer.from([4, 0, 0, 0, 0xcd, 0xab, 0, 1, 1, 2, 3, 4]);
  const s = new ApiFrameSplitter(true);
  const r = s.push(bad);
  assert.ok(!r.ok && r.error.reason === 'bad-magic');
  assert.equal(s.bufferedBytes, 0);
  assert.ok(!s.push(encodeApiFrame(Buffer.from('x'), true)).ok, 'stays failed');
  const big = Buffer.alloc(8);
  big.writeInt32LE(API_MAX_BODY_BYTES + 1, 0);
  big.writeUInt32LE(0xabcd, 4);
  const t = new ApiFrameSplitter(true);
  const rb = t.push(big);
  assert.ok(!rb.ok && rb.error.reason === 'bad-length');
  const neg = Buffer.alloc(8);
  neg.writeInt32LE(-1, 0);
  neg.writeUInt32LE(0xabcd, 4);
  assert.ok(!new ApiFrameSplitter(true).push(neg).ok);
  // A frame of exactly MAXMSG is accepted and buffered until complete.
  const u = new ApiFrameSplitter(true);
  const max = Buffer.alloc(8);
  max.writeInt32LE(API_MAX_BODY_BYTES, 0);
  max.writeUInt32LE(0xabcd, 4);
  const ru = u.push(max);
  assert.ok(ru.ok && ru.value.length === 0);
});

test('a body that is not a classic message is a decode error, not an exception', () => {
  for (const b of [Buffer.alloc(0), Buffer.from('hello'), Buffer.from('>>>\nt=x\n'), Buffer.from('###\n%%%\n')]) {
    assert.equal(decodeApiBody(b).ok, false);
  }
});

/* ------------------------------------------------------------------ handler, beyond the recordings */

const req = (reqtype: string, extra: readonly (readonly [string, string])[] = [], id = '4242', pid = '4242'): Message =>
  makeMessage([['t', 'hbapi-req'], ['reqtype', reqtype], ['dest', 'alpha'], ['pid', pid], ['from_id', id], ...extra]);
const signon = (id: string, pid = '4242'): Message => req('signon', [['uid', '0'], ['gid', '0']], id, pid);
const replies = (as: readonly ApiAction[]): Message[] => as.flatMap((a) => (a.kind === 'reply' ? [a.message] : []));
const fieldsOf = (m: Message | undefined): string[] => (m === undefined ? [] : m.fields.map((f) => `${f.name}=${Buffer.from(f.value as Uint8Array).toString('latin1')}`));

test('a named client: signon broadcasts hbapi-clstat join; it may send cluster messages, stamped with its id', () => {
  const s1 = handleApiMessage(NEW_SESSION, signon('ipfail'), context({ clientGeneration: 7 }));
  assert.equal(s1.session.phase, 'signed-on');
  const join = s1.actions.find((a) => a.kind === 'cluster-send');
  assert.ok(join?.kind === 'cluster-send');
  assert.deepEqual(fieldsOf(join.message), ['t=hbapi-clstat', 'st=join', 'from_id=ipfail', 'to_id=ipfail', 'src=alpha', 'info=signon', 'client_gen=7']);
  const s2 = handleApiMessage(s1.session, makeMessage([['t', 'ask_resources'], ['rsc_hold', 'all']]), context());
  const sent = s2.actions.find((a) => a.kind === 'cluster-send');
  assert.ok(sent?.kind === 'cluster-send');
  assert.deepEqual(fieldsOf(sent.message), ['t=ask_resources', 'rsc_hold=all', 'from_id=ipfail', 'to_id=ipfail', 'client_gen=7']);
});

test('a casual client sending a cluster message is dropped ("badclient")', () => {
  const s1 = handleApiMessage(NEW_SESSION, signon('4242'), context());
  assert.ok(s1.session.phase === 'signed-on' && s1.session.client.casual);
  assert.ok(!s1.actions.some((a) => a.kind === 'cluster-send'), 'no join broadcast for casual clients');
  const s2 = handleApiMessage(s1.session, makeMessage([['t', 'ask_resources']]), context());
  assert.deepEqual(s2.session, { phase: 'closed', reason: 'badclient' });
});

test('signon refusals reply badreq with info and the signon fields, then close', () => {
  const other: ApiClientRecord = { pid: 1, clientId: 'ipfail', casual: false, uid: 0, gid: 0, filterMask: 1, signal: 0, generation: 0 };
  const dup = handleApiMessage(NEW_SESSION, signon('ipfail'), context({ findClient: (id) => (id === 'ipfail' ? other : undefined) }));
  assert.deepEqual(dup.session, { phase: 'closed', reason: 'duplicate add request' });
  assert.deepEqual(fieldsOf(replies(dup.actions)[0]).slice(0, 4), ['t=hbapi-resp', 'reqtype=signon', 'info=duplicate add request', 'result=badreq']);
  assert.ok(fieldsOf(replies(dup.actions)[0]).includes('deadtime=3e8'), 'cl_status tells "refuses my connection" from a non-zero deadtime');
  const dead = handleApiMessage(NEW_SESSION, signon('x'), context({ pidAlive: () => false }));
  assert.deepEqual(dead.session, { phase: 'closed', reason: 'bad pid' });
  const liar = handleApiMessage(NEW_SESSION, signon('x'), context({ peer: { pid: 4242, uid: 1000, gid: 1000 } }));
  assert.deepEqual(liar.session, { phase: 'closed', reason: 'incorrect/false credentials' });
  const otherPid = handleApiMessage(NEW_SESSION, signon('x'), context({ peer: { pid: 99, uid: 0, gid: 0 } }));
  assert.deepEqual(otherPid.session, { phase: 'closed', reason: 'pid mismatch' });
  const denied = handleApiMessage(NEW_SESSION, signon('x'), context({ authorize: () => 'client failed authorization' }));
  assert.deepEqual(denied.session, { phase: 'closed', reason: 'client failed authorization' });
});

test('before signon anything else is ignored with a log line ("bad message"), the session still registering', () => {
  const s = handleApiMessage(NEW_SESSION, req('nodelist'), context());
  assert.deepEqual(s.session, NEW_SESSION);
  assert.deepEqual(replies(s.actions), []);
  assert.ok(s.actions.some((a) => a.kind === 'log' && a.text.includes('bad message')));
});

test('clientstatus: local node from the client table, inactive node offline, active remote node asks the cluster', () => {
  const ipfail: ApiClientRecord = { pid: 77, clientId: 'ipfail', casual: false, uid: 0, gid: 0, filterMask: 1, signal: 0, generation: 0 };
  const s1 = handleApiMessage(NEW_SESSION, signon('4242'), context());
  const find = (id: string | undefined, pid: number | undefined): ApiClientRecord | undefined =>
    id === 'ipfail' ? ipfail : s1.session.phase === 'signed-on' && (id === '4242' || pid === 4242) ? s1.session.client : undefined;
  const local = handleApiMessage(s1.session, req('clientstatus', [['node', 'alpha'], ['cn', 'ipfail']]), context({ findClient: find }));
  assert.deepEqual(fieldsOf(replies(local.actions)[0]), ['t=hbapi-resp', 'reqtype=clientstatus', 'subt=respond-cstatus', 'cs=online', 'result=OK']);
  const situation = { ...RECORDED_SITUATION, nodes: RECORDED_SITUATION.nodes.map((n) => (n.name === 'bravo' ? { ...n, status: 'active' } : n)) };
  const remote = handleApiMessage(s1.session, req('clientstatus', [['node', 'bravo'], ['cn', 'ipfail']]), context({ findClient: find, view: fakeView(situation) }));
  assert.deepEqual(replies(remote.actions), []);
  const q = remote.actions.find((a) => a.kind === 'cluster-send');
  assert.ok(q?.kind === 'cluster-send');
  assert.deepEqual(fieldsOf(q.message), ['t=query-cstatus', 'dest=bravo', 'cn=ipfail', 'from_id=4242']);
});

test('setfilter/setsignal validate as 3.0.6 does; requests under another client id are ignored', () => {
  const s1 = handleApiMessage(NEW_SESSION, req('signon', [['uid', '1000'], ['gid', '1000']], 'ipfail'), context({ daemonUid: 0 }));
  assert.equal(s1.session.phase, 'signed-on');
  const me = s1.session.phase === 'signed-on' ? s1.session.client : undefined;
  const ctx = context({ findClient: (id, pid) => (me !== undefined && (id === me.clientId || pid === me.pid) ? me : undefined) });
  const res = (m: Message): string[] => fieldsOf(replies(handleApiMessage(s1.session, m, ctx).actions)[0]);
  assert.deepEqual(res(req('setfilter', [['fmask', '1']], 'ipfail')), ['t=hbapi-resp', 'reqtype=setfilter', 'result=OK']);
  assert.deepEqual(res(req('setfilter', [['fmask', '3']], 'ipfail')).slice(2), ['result=badreq', 'info=EPERM']);
  assert.deepEqual(res(req('setfilter', [['fmask', '40']], 'ipfail')).slice(2), ['result=badreq', 'info=EINVAL']);
  assert.deepEqual(res(req('setsignal', [['signal', '9']], 'ipfail')).slice(2), ['result=badreq', 'info=EINVAL']);
  const set = handleApiMessage(s1.session, req('setsignal', [['signal', '10']], 'ipfail'), ctx);
  assert.ok(set.session.phase === 'signed-on' && set.session.client.signal === 10);
  assert.deepEqual(res(req('numnodes', [], 'ipfail')), ['t=hbapi-resp', 'reqtype=numnodes', 'numnodes=2', 'result=OK']);
  assert.deepEqual(res(req('frobnicate', [], 'ipfail')), ['t=hbapi-resp', 'reqtype=frobnicate', 'result=badreq']);
  const foreign = handleApiMessage(s1.session, req('nodelist', [], 'someone-else', '1'), ctx);
  assert.deepEqual(replies(foreign.actions), []);
});

test('getrsc when resources are not managed, getparm without pname', () => {
  const view = fakeView({ ...RECORDED_SITUATION, resourceState: null });
  const s1 = handleApiMessage(NEW_SESSION, signon('4242'), context({ view }));
  const me = s1.session.phase === 'signed-on' ? s1.session.client : undefined;
  const ctx = context({ view, findClient: () => me });
  assert.deepEqual(fieldsOf(replies(handleApiMessage(s1.session, req('getrsc'), ctx).actions)[0]).slice(2), ['result=badreq', 'info=Resource is managed by crm. Use crm tool to query resource']);
  assert.deepEqual(fieldsOf(replies(handleApiMessage(s1.session, req('getparm'), ctx).actions)[0]).slice(2), ['result=badreq', 'info=EINVAL']);
});
