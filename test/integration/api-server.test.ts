// ApiServer on a real Unix socket: signon and queries, hostile clients dropped with one log line, join/leave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiServer } from '../../src/api/server.js';
import { ApiFrameSplitter, decodeApiBody, encodeApiFrame, encodeApiMessage } from '../../src/api/framing.js';
import { getString, makeMessage, type Message } from '../../src/wire/message.js';
import { fakeView, RECORDED_SITUATION } from '../helpers/api-fake-view.js';

interface Harness {
  server: ApiServer;
  logs: string[];
  sent: Message[];
  dir: string;
}

async function start(t: import('node:test').TestContext, maxPendingWriteBytes?: number, stallMs?: number): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-api-'));
  const logs: string[] = [];
  const sent: Message[] = [];
  const server = await ApiServer.listen({
    path: path.join(dir, 'register'),
    view: fakeView(RECORDED_SITUATION),
    log: (level, text) => logs.push(`${level}: ${text}`),
    onClusterSend: (m) => sent.push(m),
    ...(maxPendingWriteBytes !== undefined ? { maxPendingWriteBytes } : {}),
    ...(stallMs !== undefined ? { stallMs } : {}),
  });
  t.after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { server, logs, sent, dir };
}

class Client {
  readonly socket: net.Socket;
  private readonly splitter = new ApiFrameSplitter();
  private readonly inbox: Message[] = [];
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  constructor(p: string) {
    this.socket = net.createConnection(p);
    this.socket.on('data', (b) => {
      const r = this.splitter.push(b);
      if (!r.ok) throw new Error(r.error.detail);
      for (const body of r.value) {
        const m = decodeApiBody(body);
        if (m.ok) this.inbox.push(m.value);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
  }

  send(m: Message): void {
    this.socket.write(encodeApiMessage(m));
  }

  async next(): Promise<Message> {
    while (this.inbox.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.inbox.shift() as Message;
  }
}

const req = (reqtype: string, id: string, extra: readonly (readonly [string, string])[] = []): Message =>
  makeMessage([['t', 'hbapi-req'], ['reqtype', reqtype], ['dest', 'alpha'], ['pid', String(process.pid)], ['from_id', id], ...extra]);

test('a client signs on, walks the nodes and signs off; the socket file is 0777 and gone after close', async (t) => {
  const h = await start(t);
  assert.equal(fs.statSync(h.server.path).mode & 0o777, 0o777);
  const c = new Client(h.server.path);
  c.send(req('signon', String(process.pid), [['uid', '0'], ['gid', '0']]));
  const on = await c.next();
  assert.equal(getString(on, 'result'), 'OK');
  assert.equal(getString(on, 'node'), 'alpha');
  c.send(req('nodelist', String(process.pid)));
  const names: string[] = [];
  for (;;) {
    const m = await c.next();
    names.push(getString(m, 'node') ?? '?');
    if (getString(m, 'result') === 'OK') break;
  }
  assert.deepEqual(names, ['198.51.100.1', 'alpha', 'bravo']);
  assert.equal(h.server.clients().length, 1);
  c.send(req('signoff', String(process.pid)));
  await c.closed;
  assert.equal(h.server.clients().length, 0);
  assert.deepEqual(h.sent, [], 'casual clients are not announced');
});

test('bad magic, an oversized length, a malformed body: each client dropped with one log line; others unaffected', async (t) => {
  const h = await start(t);
  const good = new Client(h.server.path);
  good.send(req('signon', String(process.pid), [['uid', '0'], ['gid', '0']]));
  assert.equal(getString(await good.next(), 'result'), 'OK');

  const hostile: Buffer[] = [];
  hostile.push(Buffer.from([16, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, ...Buffer.alloc(16)]));
  const big = Buffer.alloc(8);
  big.writeInt32LE(10_000_000, 0);
  big.writeUInt32LE(0xabcd, 4);
  hostile.push(big);
  hostile.push(encodeApiFrame(Buffer.from('this is not a message\0')));
  for (const bytes of hostile) {
    const before = h.logs.length;
    const c = new Client(h.server.path);
    c.socket.write(bytes);
    await c.closed;
    const added = h.logs.slice(before).filter((l) => l.startsWith('warn'));
    assert.equal(added.length, 1, `one warning: ${JSON.stringify(h.logs.slice(before))}`);
    assert.match(added[0] ?? '', /disconnecting/);
  }
  good.send(req('nodestatus', String(process.pid), [['node', 'bravo']]));
  assert.equal(getString(await good.next(), 'st'), 'dead');
  assert.equal(h.server.connectionCount, 1);
});

test('a client that floods requests and never reads its replies is dropped once its replies stay unread', async (t) => {
  const h = await start(t, 64 * 1024, 200);
  const c = new Client(h.server.path);
  c.socket.pause();
  c.send(req('signon', String(process.pid), [['uid', '0'], ['gid', '0']]));
  const burst = Buffer.concat(Array.from({ length: 500 }, () => encodeApiMessage(req('nodelist', String(process.pid)))));
  const writeMore = (): void => {
    if (!c.socket.destroyed) c.socket.write(burst, () => setImmediate(writeMore));
  };
  writeMore();
  await c.closed;
  assert.ok(h.logs.some((l) => /bytes of replies unread for 0.2 s; disconnecting/.test(l)), h.logs.join('\n'));
  for (let i = 0; i < 100 && h.server.connectionCount > 0; i++) await new Promise((r) => setImmediate(r));
  assert.equal(h.server.connectionCount, 0);
});

test('a client that pipelines 20,000 requests and reads its replies slowly is paused, not dropped: every one answered', async (t) => {
  const h = await start(t, 64 * 1024, 2000);
  const c = new Client(h.server.path);
  c.send(req('signon', String(process.pid), [['uid', '0'], ['gid', '0']]));
  assert.equal(getString(await c.next(), 'result'), 'OK');
  // Read in pauses of 20 ms so the server's queue fills past its pause mark again and again.
  const reader = setInterval(() => (c.socket.isPaused() ? c.socket.resume() : c.socket.pause()), 20);
  t.after(() => clearInterval(reader));
  const n = 20_000;
  c.socket.write(Buffer.concat(Array.from({ length: n }, () => encodeApiMessage(req('nodelist', String(process.pid))))));
  // Each nodelist answer is one "ok/more" per node, then "OK".
  let answered = 0;
  while (answered < n) {
    const m = await Promise.race([c.next(), c.closed.then(() => undefined)]);
    if (m === undefined) break;
    const result = getString(m, 'result');
    assert.ok(result === 'OK' || result === 'ok/more', `result ${result}`);
    if (result === 'OK') answered++;
  }
  assert.equal(answered, n, h.logs.join('\n'));
  assert.ok(!h.logs.some((l) => /unread/.test(l)), h.logs.join('\n'));
});

test('a named client is announced: hbapi-clstat join at signon, leave with the reason (EOF) when it goes', async (t) => {
  const h = await start(t);
  const c = new Client(h.server.path);
  c.send(req('signon', 'ipfail', [['uid', '0'], ['gid', '0']]));
  assert.equal(getString(await c.next(), 'result'), 'OK');
  c.socket.destroy();
  await c.closed;
  for (let i = 0; i < 100 && h.sent.length < 2; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.sent.map((m) => [getString(m, 't'), getString(m, 'st'), getString(m, 'info'), getString(m, 'from_id')]), [
    ['hbapi-clstat', 'join', 'signon', 'ipfail'],
    ['hbapi-clstat', 'leave', 'EOF', 'ipfail'],
  ]);
});

test('deliver(): to_id picks one client; otherwise the filter mask decides', async (t) => {
  const h = await start(t);
  const a = new Client(h.server.path);
  a.send(req('signon', 'ipfail', [['uid', '0'], ['gid', '0']]));
  await a.next();
  const b = new Client(h.server.path);
  b.send(makeMessage([['t', 'hbapi-req'], ['reqtype', 'signon'], ['dest', 'alpha'], ['pid', '1'], ['from_id', 'ccm'], ['uid', '0'], ['gid', '0']]));
  await b.next();
  h.server.deliver(makeMessage([['t', 'status'], ['st', 'dead'], ['src', 'bravo']]), 0x01);
  h.server.deliver(makeMessage([['t', 'x'], ['to_id', 'ccm']]), 0x01);
  h.server.deliver(makeMessage([['t', 'nochange']]), 0x02);
  assert.equal(getString(await a.next(), 't'), 'status');
  assert.equal(getString(await b.next(), 't'), 'status');
  assert.equal(getString(await b.next(), 't'), 'x');
});

test('a stale socket file is replaced; a regular file in the way is refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-api-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = path.join(dir, 'register');
  fs.writeFileSync(p, 'not a socket');
  await assert.rejects(ApiServer.listen({ path: p, view: fakeView(RECORDED_SITUATION), log: () => undefined }), /not a socket/);
  fs.unlinkSync(p);
  const first = await ApiServer.listen({ path: p, view: fakeView(RECORDED_SITUATION), log: () => undefined });
  // Simulate a crashed daemon: the socket file stays behind.
  const stale = path.join(dir, 'stale');
  fs.renameSync(p, stale);
  await first.close();
  fs.renameSync(stale, p);
  const second = await ApiServer.listen({ path: p, view: fakeView(RECORDED_SITUATION), log: () => undefined });
  await second.close();
});
