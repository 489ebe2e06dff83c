// Recovers the bytes a process wrote to and read from one Unix socket, from `strace -f -xx -s 65536` output.
//
// We trace the client (cl_status), not the daemon: its sendto/write calls are the request stream and its
// recvfrom/read calls the reply stream. With -xx every byte of a string argument is printed as \xNN.

export interface SocketStreams {
  /** Bytes the traced process sent (client → server). */
  readonly sent: Buffer;
  /** Bytes it received (server → client). */
  readonly received: Buffer;
}

function unhex(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      out.push(Number.parseInt(s.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      out.push(s.charCodeAt(i));
      i += 1;
    }
  }
  return Buffer.from(out);
}

/**
 * The streams on the first socket connected to a path ending in `pathSuffix`. Throws if strace truncated a
 * string (a "..." after the closing quote) or no such connect() is found.
 */
export function socketStreamsFromStrace(text: string, pathSuffix: string): SocketStreams {
  const sent: Buffer[] = [];
  const received: Buffer[] = [];
  let fd: string | undefined;
  const hexSuffix = [...Buffer.from(pathSuffix, 'latin1')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  for (const line of text.split('\n')) {
    const body = line.replace(/^\d+\s+/, '');
    if (fd === undefined) {
      const c = /^connect\((\d+), \{sa_family=AF_UNIX, sun_path="([^"]*)"\}/.exec(body);
      if (c !== null && (c[2] ?? '').endsWith(hexSuffix)) fd = c[1];
      continue;
    }
    const m = /^(sendto|write|recvfrom|read|sendmsg|recvmsg)\((\d+), "((?:\\x[0-9a-f]{2})*)"(\.\.\.)?,.*\) = (-?\d+)/.exec(body);
    if (m === null || m[2] !== fd) continue;
    if (m[4] !== undefined) throw new Error(`strace truncated a string: ${line.slice(0, 120)}`);
    const n = Number(m[5]);
    if (n <= 0) continue;
    const data = unhex(m[3] ?? '').subarray(0, n);
    if (m[1] === 'sendto' || m[1] === 'write' || m[1] === 'sendmsg') sent.push(data);
    else received.push(data);
  }
  if (fd === undefined) throw new Error(`no connect() to …${pathSuffix} in the trace`);
  return { sent: Buffer.concat(sent), received: Buffer.concat(received) };
}
