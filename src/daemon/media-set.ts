// The open media of a node: each opened (and retried while it cannot open), written to, closed, replaced.
import type { MediumAdapter, OutboundFrame } from '../media/medium.js';
import type { Logger } from '../logging/logger.js';

export interface MediaSetOptions {
  readonly logger: Logger;
  readonly udpPort: number;
  /** How often a medium that failed to open is retried. */
  readonly retryMs: number;
  /** A frame received on a medium. */
  readonly frame: (medium: string, bytes: Uint8Array) => void;
}

export class MediaSet {
  private readonly open = new Set<MediumAdapter>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly o: MediaSetOptions) {}

  /** The names of the media that are open. */
  names(): Set<string> {
    return new Set([...this.open].map((m) => m.name));
  }

  /** Writes one frame on every open medium. */
  send(frame: OutboundFrame): void {
    for (const m of this.open) m.send(frame);
  }

  /**
   * Opens a medium. One that cannot open yet (its interface is down or has no address at boot) is reported
   * and retried in the background while the others carry the heartbeat; the configuration check has already
   * refused media that cannot exist (no such interface or device).
   */
  async add(m: MediumAdapter, first = true): Promise<void> {
    try {
      await m.start({
        frame: (bytes) => this.o.frame(m.name, bytes),
        problem: (text) => this.o.logger.log('err', text), // media prefix their own kind and name
        notice: (level, text) => this.o.logger.log(level, text),
      });
    } catch (e) {
      if (this.closed) return;
      if (first) this.o.logger.log('err', `${(e as Error).message}; retrying every ${this.o.retryMs / 1000} s, the other media carry on`);
      const t = setTimeout(() => {
        this.retryTimers.delete(t);
        void this.add(m, false);
      }, this.o.retryMs);
      this.retryTimers.add(t);
      return;
    }
    if (this.closed) {
      await m.close();
      return;
    }
    this.open.add(m);
    this.o.logger.log('info', startedLine(m, this.o.udpPort));
  }

  /** Closes the open media and stops retrying the others (a reload replaces them). */
  async clear(): Promise<void> {
    this.stopRetrying();
    const old = [...this.open];
    this.open.clear();
    await Promise.all(old.map((m) => m.close()));
  }

  /** For good: `all` are closed (open or not), and none is retried. */
  async close(all: readonly MediumAdapter[]): Promise<void> {
    this.closed = true;
    this.stopRetrying();
    await Promise.all(all.map((m) => m.close()));
  }

  private stopRetrying(): void {
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
  }
}

/** Heartbeat's start-up line per medium (bcast.c, recorded: "glib: UDP Broadcast heartbeat started on port 694 (694) interface eth0"). */
function startedLine(m: MediumAdapter, port: number): string {
  switch (m.kind) {
    case 'bcast':
      return `glib: UDP Broadcast heartbeat started on port ${port} (${port}) interface ${m.name}`;
    case 'ucast':
      return `ucast: started on port ${port} interface ${m.name}`;
    case 'mcast':
      return `UDP multicast heartbeat started on interface ${m.name}`;
    case 'serial':
      return `Starting serial heartbeat on tty ${m.name}`;
    case 'ucast6':
    case 'mcast6':
      return m.startedLine ?? `${m.kind}: heartbeat started on interface ${m.name}`;
  }
}
