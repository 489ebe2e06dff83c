// The control FIFO <state-dir>/fifo (spec §9.7): stock scripts (hb_standby, hb_takeover, mach_down…) and our
// own CLIs write classic `>>>`/`<<<` messages into it; each complete message becomes an event.
//
// Opened O_RDWR|O_NONBLOCK so that it never reads end-of-file when a writer closes, and read through a
// net.Socket so the read waits in epoll, not in a thread-pool thread.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { ClassicStreamSplitter, decodeClassic, type Message } from '../../wire/index.js';

export class ControlFifo {
  private socket: net.Socket | undefined;

  constructor(
    readonly path: string,
    private readonly onMessage: (m: Message) => void,
    private readonly problem: (text: string) => void,
  ) {}

  /** Creates the FIFO (mode 0600) when absent, as Heartbeat does ("Creating FIFO …"), and starts reading. */
  open(): boolean {
    try {
      const st = fs.statSync(this.path, { throwIfNoEntry: false });
      if (st !== undefined && !st.isFIFO()) {
        this.problem(`${this.path} exists and is not a FIFO; hb_standby and the stock scripts cannot reach us`);
        return false;
      }
      if (st === undefined) {
        const r = spawnSync('mkfifo', ['-m', '600', this.path], { encoding: 'utf8', timeout: 5000 });
        if (r.status !== 0) {
          this.problem(`cannot create FIFO ${this.path}: ${(r.stderr ?? '').trim() || String(r.error ?? r.status)}`);
          return false;
        }
      }
      const fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      const splitter = new ClassicStreamSplitter();
      this.socket = new net.Socket({ fd, readable: true, writable: false });
      this.socket.on('data', (chunk: Buffer) => {
        for (const frame of splitter.push(chunk)) {
          const m = decodeClassic(frame);
          if (m.ok) this.onMessage(m.value);
          else this.problem(`unreadable message in ${this.path}: ${m.error.reason}`);
        }
      });
      this.socket.on('error', (e) => this.problem(`${this.path}: ${e.message}`));
      return true;
    } catch (e) {
      this.problem(`cannot open FIFO ${this.path}: ${(e as Error).message}`);
      return false;
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
