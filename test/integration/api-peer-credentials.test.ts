// SO_PEERCRED through the perl helper (src/api/peer-credentials.ts) on real Unix sockets, and the API server's use of it.
//
// 1. Our own connection: pid, uid, gid are ours. A child running as `nobody` (setpriv, root only): seen with
//    nobody's uid and gid and the child's pid. Ten connections at once through two helper slots: each gets
//    its own connector's pid.
// 2. The helper failing (no perl, garbage output, hanging): read() rejects with the cause.
// 3. ApiServer with the real reader: a signon with true claims is admitted; a claimed uid, gid or pid that
//    is not the socket's is refused (Heartbeat's reasons, one log line each); an unreadable peer is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PeerCredentialReader, parsePeerCredentials } from '../../src/api/peer-credentials.js';
import { ApiServer } from '../../src/api/server.js';
import { ApiFrameSplitter, decodeApiBody, encodeApiMessage } from '../../src/api/framing.js';
import { getString, makeMessage, type Message } from '../../src/wire/message.js';
import { fakeView, RECORDED_SITUATION } from '../helpers/api-fake-view.js';
import { isCi } from '../helpers/privileges.js';

function tempDir(t: import('node:test').TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-peercred-'));
  fs.chmodSync(dir, 0o755); // a child running as nobody must reach the socket
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A plain server that hands each accepted socket to `onSocket`. */
async function listen(t: import('node:test').TestContext, p: string, onSocket: (s: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer((s) => {
    s.pause();
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(p, resolve));
  fs.chmodSync(p, 0o777);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

test('parsePeerCredentials accepts "pid uid gid" and nothing else', () => {
  assert.deepEqual(parsePeerCredentials('12 0 105\n'), { pid: 12, uid: 0, gid: 105 });
  assert.deepEqual(parsePeerCredentials('0 4294967295 4294967295\n'), { pid: 0, uid: 4294967295, gid: 4294967295 });
  for (const bad of ['', '12 0\n', '-1 0 0\n', '1 2 3 4\n', '1 2 3\n\n', 'a b c', '1 99999999999 0']) assert.equal(typeof parsePeerCredentials(bad), 'string', JSON.stringify(bad));
});

/** O_NONBLOCK of the socket's fd, from /proc/self/fdinfo (the fd is Node's, read through its handle). */
function nonBlocking(s: net.Socket): boolean {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  assert.ok(typeof fd === 'number' && fd >= 0, 'the socket has an fd');
  const flags = /^flags:\s+([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))?.[1];
  assert.ok(flags !== undefined);
  return (parseInt(flags, 8) & 0o4000) !== 0;
}

test('our own connection: the kernel says our pid, uid and gid; the socket stays non-blocking', async (t) => {
  const p = path.join(tempDir(t), 's');
  const reader = new PeerCredentialReader();
  const flags: boolean[] = [];
  const got = new Promise<unknown>(
    (resolve, reject) =>
      void listen(t, p, (s) => {
        flags.push(nonBlocking(s));
        reader.read(s).then((c) => {
          flags.push(nonBlocking(s));
          s.destroy();
          resolve(c);
        }, reject);
      }),
  );
  const c = net.connect(p);
  c.on('error', () => undefined);
  const started = performance.now();
  assert.deepEqual(await got, { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });
  t.diagnostic(`first read (includes the one-off SOL_SOCKET/SO_PEERCRED probe): ${(performance.now() - started).toFixed(1)} ms`);
  // Handing the socket to a child as fd 0–2 would make libuv clear O_NONBLOCK on the shared file description.
  assert.deepEqual(flags, [true, true], 'O_NONBLOCK before and after the helper ran');
  c.destroy();
});

test('a child running as nobody is seen as nobody, with its own pid; concurrent connections keep their own answers', async (t) => {
  const root = process.getuid?.() === 0;
  if (!root || !fs.existsSync('/usr/bin/setpriv')) {
    if (isCi()) throw new Error('needs root and setpriv (CI=true)');
    t.skip('needs root and /usr/bin/setpriv');
    return;
  }
  const p = path.join(tempDir(t), 's');
  const reader = new PeerCredentialReader({ maxConcurrent: 2 });
  const seen: Promise<{ pid: number; uid: number; gid: number } | string>[] = [];
  await listen(t, p, (s) => seen.push(reader.read(s).then((c) => c, (e: Error) => e.message).finally(() => s.destroy())));
  // Each child connects, then waits for the server to hang up (bounded by its own 10 s alarm). perl-base's
  // IO::Socket::UNIX: lighter than ten Node processes on a busy machine.
  const script = 'my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 2; alarm 10; sysread($s, my $b, 1); exit 0';
  const children = Array.from({ length: 10 }, (_, i) => {
    const perl = ['/usr/bin/perl', '-MIO::Socket::UNIX', '-e', script, p];
    const argv = i === 0 ? ['/usr/bin/setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...perl] : perl;
    const ch = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => ch.on('exit', (code) => resolve(code)));
    t.after(() => void ch.kill('SIGKILL'));
    return { pid: ch.pid, exited };
  });
  const codes = await Promise.all(children.map((c) => c.exited));
  assert.deepEqual(codes, children.map(() => 0), 'every child connected and was hung up on');
  const creds = (await Promise.all(seen)).map((c) => {
    assert.ok(typeof c !== 'string', c as string);
    return c;
  });
  const nobody = creds.find((c) => c.pid === children[0]?.pid);
  assert.deepEqual(nobody, { pid: children[0]?.pid, uid: 65534, gid: 65534 });
  assert.deepEqual(creds.map((c) => c.pid).sort(), children.map((c) => c.pid).sort(), 'each connection: its own connector');
  for (const c of creds) if (c !== nobody) assert.deepEqual([c.uid, c.gid], [0, process.getgid?.()]);
});

test('a helper that cannot run, prints garbage or hangs: read() rejects with the cause', async (t) => {
  const dir = tempDir(t);
  const p = path.join(dir, 's');
  const scripts: Record<string, string> = { garbage: '#!/bin/sh\necho "hello there"\n', hang: '#!/bin/sh\nexec sleep 30\n', fails: '#!/bin/sh\necho "no socket here" >&2\nexit 5\n' };
  for (const [name, text] of Object.entries(scripts)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o755 });
  const cases: [PeerCredentialReader, RegExp][] = [
    [new PeerCredentialReader({ perl: path.join(dir, 'no-such-perl') }), /cannot run .*no-such-perl: spawn .* ENOENT/],
    [new PeerCredentialReader({ perl: path.join(dir, 'garbage') }), /unexpected output "hello there\\n"/],
    [new PeerCredentialReader({ perl: path.join(dir, 'hang'), timeoutMs: 300 }), /did not answer within 300 ms/],
    [new PeerCredentialReader({ perl: path.join(dir, 'fails') }), /exited 5: no socket here/],
  ];
  const sockets: net.Socket[] = [];
  await listen(t, p, (s) => sockets.push(s));
  for (const [reader, why] of cases) {
    const c = net.connect(p);
    c.on('error', () => undefined);
    await new Promise((resolve) => c.on('connect', resolve));
    for (let i = 0; i < 200 && sockets.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const s = sockets.shift();
    assert.ok(s !== undefined);
    await assert.rejects(reader.read(s), why);
    s.destroy();
    c.destroy();
  }
});

/* ------------------------------------------------------------------ the API server with the real reader */

class Client {
  readonly socket: net.Socket;
  private readonly splitter = new ApiFrameSplitter();
  private readonly inbox: Message[] = [];
  private waiters: (() => void)[] = [];
  constructor(p: string) {
    this.socket = net.createConnection(p);
    this.socket.on('error', () => undefined);
    this.socket.on('data', (b) => {
      const r = this.splitter.push(b);
      if (r.ok) for (const body of r.value) {
        const m = decodeApiBody(body);
        if (m.ok) this.inbox.push(m.value);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async next(): Promise<Message> {
    for (let i = 0; this.inbox.length === 0; i++) {
      if (i > 50) throw new Error('no reply within 5 s');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return this.inbox.shift() as Message;
  }
  signon(claims: { pid?: number; uid?: number; gid?: number; id?: string }): void {
    const pid = String(claims.pid ?? process.pid);
    this.socket.write(
      encodeApiMessage(makeMessage([['t', 'hbapi-req'], ['reqtype', 'signon'], ['dest', 'alpha'], ['pid', pid], ['from_id', claims.id ?? pid], ['uid', String(claims.uid ?? process.getuid?.() ?? 0)], ['gid', String(claims.gid ?? process.getgid?.() ?? 0)]])),
    );
  }
}

test('ApiServer + real SO_PEERCRED: true claims admitted; another uid, gid or pid refused and logged; unreadable peer refused', async (t) => {
  const dir = tempDir(t);
  const logs: string[] = [];
  const reader = new PeerCredentialReader();
  let broken = false;
  const server = await ApiServer.listen({
    path: path.join(dir, 'register'),
    view: fakeView(RECORDED_SITUATION),
    log: (level, text) => logs.push(`${level}: ${text}`),
    peerCredentials: (s) => (broken ? Promise.reject(new Error('perl went missing')) : reader.read(s)),
  });
  t.after(() => server.close());
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const outcome = async (claims: Parameters<Client['signon']>[0]): Promise<{ result: string; info: string | undefined; logged: string[] }> => {
    const before = logs.length;
    const c = new Client(server.path);
    c.signon(claims);
    const m = await c.next();
    c.socket.destroy();
    return { result: getString(m, 'result') ?? '?', info: getString(m, 'info'), logged: logs.slice(before).filter((l) => !l.startsWith('debug')) };
  };

  assert.deepEqual(await outcome({}), { result: 'OK', info: undefined, logged: [] });
  const otherUid = await outcome({ uid: uid + 1 });
  assert.deepEqual([otherUid.result, otherUid.info], ['badreq', 'incorrect/false credentials']);
  assert.deepEqual(otherUid.logged, [`warn: api: client pid ${process.pid} claims uid ${uid + 1} gid ${gid}, socket says uid ${uid} gid ${gid}`]);
  const otherGid = await outcome({ gid: gid + 7 });
  assert.deepEqual([otherGid.result, otherGid.info], ['badreq', 'incorrect/false credentials']);
  // Another live process's pid (our parent): the kernel's peer pid is ours.
  const otherPid = await outcome({ pid: process.ppid });
  assert.deepEqual([otherPid.result, otherPid.info], ['badreq', 'pid mismatch']);
  assert.deepEqual(otherPid.logged, [`warn: api: PID mismatch: ${process.ppid} vs farside_pid: ${process.pid}`]);
  const named = await outcome({ pid: process.ppid, id: 'ipfail' });
  assert.deepEqual([named.result, named.info], ['badreq', 'pid mismatch'], 'named clients too');
  broken = true;
  const unreadable = await outcome({});
  assert.deepEqual([unreadable.result, unreadable.info], ['badreq', 'incorrect/false credentials']);
  assert.match(unreadable.logged[0] ?? '', /^warn: api: connection \d+: cannot read the client's credentials \(perl went missing\); its signon will be refused$/);
  assert.match(unreadable.logged[1] ?? '', /refused: its credentials could not be verified \(perl went missing\)/);
  assert.equal(server.clients().length, 0);
});
