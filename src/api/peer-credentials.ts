// The kernel's word on who is at the other end of an API connection (SO_PEERCRED), read without a native addon.
/*
 * How
 * ---
 * Node cannot call getsockopt(2). For each accepted connection the daemon spawns /usr/bin/perl (perl-base is
 * Essential on Debian: always installed) with the accepted socket as the child's fd 3; the child calls
 * getsockopt(fd 3, SOL_SOCKET, SO_PEERCRED), prints "pid uid gid" and exits. It never reads or writes the
 * socket. Not fd 0: libuv makes a child's fds 0–2 blocking, and O_NONBLOCK belongs to the open file
 * description the daemon shares with the child, so the daemon's own socket would turn blocking and one
 * client that stops reading would freeze the daemon (test/integration/api-peer-credentials.test.ts checks
 * the flag). SOL_SOCKET and SO_PEERCRED differ between architectures, so they are asked once, from perl's own
 * Socket module, when the reader is created (loading Socket.pm costs ~20 ms more per child, so the numbers
 * are not looked up again per connection). The child runs with an empty environment (no PERL5OPT/PERL5LIB
 * injection), a time limit (SIGKILL) and bounded output; at most `maxConcurrent` run at a time, the others
 * wait in line, paused.
 *
 * Other ways, and why not: SCM_CREDENTIALS needs the client's cooperation (the real cl_status and ipfail do
 * not send any); /proc/net/unix and `ss -xp` name the processes holding the peer socket now, not the one
 * that connected, and are racy; pidfd_getfd from a long-lived helper needs ptrace rights over the daemon
 * (Yama) and Linux ≥ 5.6; a native addon must compile at install time. SO_PEERCRED is what Heartbeat
 * itself reads (cluster-glue ipcsocket.c), so the verdicts are the same.
 *
 * Cost: one process per connection that sends a well-formed message (server.ts reads the credentials then, so a
 * client sending garbage costs none), measured in test/netns/api-auth.test.ts (`cl_status hbstatus` with and
 * without the check) and README "Compatibility".
 *
 * Threat model
 * ------------
 * Who can connect: whoever can search the socket's directory; the socket itself is 0777, as Heartbeat makes
 * it. Debian's /run/heartbeat is 0750 hacluster:haclient, so root, hacluster, members of haclient, and any
 * user running the setgid-haclient /usr/bin/cl_status. heartbeat-ts does not create or chmod that directory
 * (Debian's tmpfiles.d does).
 * What is verified, as Heartbeat 3.0.6 verifies it (api_add_client): the uid and gid a client claims at
 * signon must be the kernel's SO_PEERCRED uid and gid (its effective ids when it called connect()), the pid
 * it claims must be the kernel's peer pid, and then `apiauth` (src/daemon/api/api-auth.ts) must allow that uid
 * or that gid for the client's name (`anon` for casual clients such as cl_status). A refusal is logged and
 * answered with Heartbeat's reason (`incorrect/false credentials`, `pid mismatch`, `client failed
 * authorization`, …).
 * Fail closed: when the credentials cannot be read (perl missing, helper killed by the time limit, odd
 * output), the connection's signon is refused as `incorrect/false credentials` and the cause logged; a
 * client is never admitted on its word alone.
 * What is not verified (as in Heartbeat): supplementary groups (only the effective gid counts); what the
 * process does after connect() — a socket handed to another process (SCM_RIGHTS, fork+exec) keeps the
 * connector's credentials, and a setuid program that connects before dropping privileges is seen with its
 * privileges; a client name (`ipfail`) is not bound to a program: any process whose uid or gid apiauth
 * allows may sign on under that name. Users and groups are resolved from /etc/passwd and /etc/group (not
 * NSS) when the API socket opens. Denial of service by a local user who can connect is bounded, not
 * prevented: at most 256 connections, `maxConcurrent` helpers, 1 MiB of unread replies, one frame of 256 KiB.
 */
import { spawn } from 'node:child_process';
import type net from 'node:net';
import type { ApiPeerCredentials } from './handler.js';

export interface PeerCredentialReaderOptions {
  /** Default /usr/bin/perl. */
  readonly perl?: string;
  /** Per helper process, from spawn to exit. Default 10 s (generous: a refusal is the price of a slow machine). */
  readonly timeoutMs?: number;
  /** Helpers running at once; more connections wait. Default 4. */
  readonly maxConcurrent?: number;
}

const MAX_OUTPUT = 4096;

/** The one line the helper prints: "pid uid gid", each a decimal number (the pid may be 0: peer in another pid namespace). */
export function parsePeerCredentials(text: string): ApiPeerCredentials | string {
  const m = /^(\d{1,10}) (\d{1,10}) (\d{1,10})\n?$/.exec(text);
  if (m === null) return `unexpected output ${JSON.stringify(text.slice(0, 80))}`;
  const [pid, uid, gid] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (pid > 2 ** 31 - 1 || uid > 2 ** 32 - 1 || gid > 2 ** 32 - 1) return `out-of-range ids in ${JSON.stringify(text.trim())}`;
  return { pid, uid, gid };
}

/** The two socket option numbers, as perl's Socket module says: "SOL_SOCKET SO_PEERCRED". */
export function parseSocketConstants(text: string): { level: number; option: number } | string {
  const m = /^(\d{1,6}) (\d{1,6})\n?$/.exec(text);
  if (m === null) return `unexpected output ${JSON.stringify(text.slice(0, 80))}`;
  return { level: Number(m[1]), option: Number(m[2]) };
}

const PROBE = 'use Socket qw(SOL_SOCKET SO_PEERCRED); print SOL_SOCKET(), " ", SO_PEERCRED(), "\\n";';

function readerScript(level: number, option: number): string {
  return (
    `open(my $s, "<&=", 3) or die "fd 3: $!\\n"; my $c = getsockopt($s, ${level}, ${option}); defined $c or die "getsockopt(SO_PEERCRED): $!\\n"; ` +
    'length($c) >= 12 or die "short SO_PEERCRED answer\\n"; my ($p, $u, $g) = unpack("iII", $c); print "$p $u $g\\n";'
  );
}

interface Ran {
  readonly stdout: string;
}

/**
 * Reads SO_PEERCRED of accepted Unix sockets through a perl helper. `read` rejects with a one-line reason
 * when the credentials cannot be learned; the caller must then refuse the client.
 */
export class PeerCredentialReader {
  private readonly perl: string;
  private readonly timeoutMs: number;
  private readonly maxConcurrent: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly constants: Promise<{ level: number; option: number }>;

  constructor(o: PeerCredentialReaderOptions = {}) {
    this.perl = o.perl ?? '/usr/bin/perl';
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.maxConcurrent = Math.max(1, o.maxConcurrent ?? 4);
    this.constants = this.slot(() => this.run([PROBE], 'ignore')).then((r) => {
      const c = parseSocketConstants(r.stdout);
      if (typeof c === 'string') throw new Error(`${this.perl} -MSocket: ${c}`);
      return c;
    });
    this.constants.catch(() => undefined); // reported by every read()
  }

  /** pid, uid and gid of the process that connected `socket`. */
  async read(socket: net.Socket): Promise<ApiPeerCredentials> {
    const { level, option } = await this.constants;
    return this.slot(async () => {
      if (socket.destroyed) throw new Error('the connection closed before its credentials were read');
      const r = await this.run([readerScript(level, option)], socket);
      const c = parsePeerCredentials(r.stdout);
      if (typeof c === 'string') throw new Error(`${this.perl}: ${c}`);
      return c;
    });
  }

  /** Runs f when fewer than maxConcurrent helpers are running. */
  private async slot<T>(f: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await f();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private run(script: readonly string[], fd3: net.Socket | 'ignore'): Promise<Ran> {
    return new Promise<Ran>((resolve, reject) => {
      let out = '';
      let err = '';
      let settled = false;
      const finish = (e: Error | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e === undefined) resolve({ stdout: out });
        else reject(e);
      };
      const child = spawn(this.perl, ['-e', ...script], { stdio: ['ignore', 'pipe', 'pipe', fd3], env: {} });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new Error(`${this.perl} did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      child.stdout?.setEncoding('latin1').on('data', (d: string) => (out = (out + d).slice(0, MAX_OUTPUT)));
      child.stderr?.setEncoding('latin1').on('data', (d: string) => (err = (err + d).slice(0, MAX_OUTPUT)));
      child.on('error', (e) => finish(new Error(`cannot run ${this.perl}: ${e.message}`)));
      child.on('close', (code, signal) => {
        if (code === 0) finish(undefined);
        else finish(new Error(`${this.perl} ${signal !== null ? `killed by ${signal}` : `exited ${String(code)}`}${err.trim() === '' ? '' : `: ${err.trim().split('\n')[0] ?? ''}`}`));
      });
    });
  }
}
