// `hbctl test-links`: checking every medium end to end with the other nodes before a pair goes live.
//
// Each node runs `hbctl test-links` at the same time. Every PROBE_INTERVAL_MS each node sends, on each of its
// media, a signed probe naming the medium it left by and a counter, and listing which of the peers' probes
// it has heard (their node, medium and counter). So each side learns both directions of every medium:
//
//   inbound   the peer's probes reach us on this medium, and verify with our authkeys;
//   outbound  the peer lists one of our probes from this medium (we learn that over any medium that works).
//
// What arrives but does not verify says the keys differ; bytes that do not decode say something else is on the
// line (on a serial line: another baud rate); a peer's heartbeat daemon (its `status` messages) proves the
// inbound direction only. The verdict for each (medium, peer) pair is one of VERDICTS, with a sentence saying
// what to fix. Pure: frames, clocks and the send are the caller's.
import type { AuthKeys } from '../core/auth-keys.js';
import { decodeFrame, getString, verifyFrame, type Verdict } from '../wire/index.js';

/** The probe's message type: not a type Heartbeat 3.0.6 knows, so nothing else ever sends it. */
export const PROBE_TYPE = 'hbts-linktest';
export const PROBE_INTERVAL_MS = 250;
/** Probes sent after everything is confirmed, so the peers hear our last acknowledgements too. */
export const LINGER_PROBES = 4;

export interface LinkTestMedium {
  /** Heartbeat's medium name: the interface (bcast, ucast, mcast) or the device (serial). */
  readonly name: string;
  /** For messages: `bcast eth0 (UDP port 694)`, `serial /dev/ttyS0 (19200 baud)`. */
  readonly describe: string;
  readonly kind: 'bcast' | 'ucast' | 'mcast' | 'ucast6' | 'mcast6' | 'serial';
}

export type LinkVerdict =
  | 'ok'
  | 'cannot-open'
  | 'silent'
  | 'garbage'
  | 'keys-differ'
  | 'inbound-only'
  | 'outbound-only'
  | 'daemon-running';

interface PeerOnMedium {
  probes: number;
  /** Our probe counter the peer last listed for this medium; 0 = never. */
  ackedUpTo: number;
  statusMessages: number;
  badSignatures: number;
  badVerdict: Verdict | undefined;
  /** Which of the peer's key indexes failed, for the message. */
  badKeyIndex: string | undefined;
}

interface MediumState {
  readonly medium: LinkTestMedium;
  sent: number;
  openError: string | undefined;
  problems: string[];
  undecodable: number;
  strangers: Set<string>;
  readonly peers: Map<string, PeerOnMedium>;
}

export interface LinkResult {
  readonly medium: string;
  readonly describe: string;
  readonly peer: string;
  readonly verdict: LinkVerdict;
  /** One sentence: what was seen, and what to fix. */
  readonly text: string;
  readonly sent: number;
  readonly heard: number;
}

export interface LinkTestOptions {
  readonly localNode: string;
  /** The other (non-ping) nodes of ha.cf, lower-cased. */
  readonly peers: readonly string[];
  readonly media: readonly LinkTestMedium[];
  readonly keys: AuthKeys;
  /** Where the keys came from, for messages. */
  readonly authkeysPath: string;
}

export class LinkTest {
  private readonly media = new Map<string, MediumState>();
  /** Per peer: "medium counter" of the last probe heard from each of its media (what we acknowledge). */
  private readonly heardFrom = new Map<string, Map<string, number>>();
  private counter = 0;
  private lingerLeft = LINGER_PROBES;

  constructor(private readonly o: LinkTestOptions) {
    for (const m of o.media) {
      const peers = new Map<string, PeerOnMedium>();
      for (const p of o.peers) peers.set(p, { probes: 0, ackedUpTo: 0, statusMessages: 0, badSignatures: 0, badVerdict: undefined, badKeyIndex: undefined });
      this.media.set(m.name, { medium: m, sent: 0, openError: undefined, problems: [], undecodable: 0, strangers: new Set(), peers });
    }
    for (const p of o.peers) this.heardFrom.set(p, new Map());
  }

  /** The medium could not be opened at all (its error, as the medium words it). */
  openFailed(medium: string, error: string): void {
    const s = this.media.get(medium);
    if (s !== undefined) s.openError = error;
  }

  /** A problem the medium reported while running (device vanished, send failed); kept for the report. */
  problem(medium: string, text: string): void {
    const s = this.media.get(medium);
    if (s !== undefined && s.problems.length < 5 && !s.problems.includes(text)) s.problems.push(text);
  }

  /** The fields of the next probe for this medium (the caller signs and sends it), or undefined if it is not open. */
  probe(medium: string): [string, string][] | undefined {
    const s = this.media.get(medium);
    if (s === undefined || s.openError !== undefined) return undefined;
    this.counter += 1;
    s.sent += 1;
    const heard: string[] = [];
    for (const [peer, byMedium] of this.heardFrom) for (const [m, n] of byMedium) heard.push(`${peer} ${m} ${n.toString(16)}`);
    return [
      ['t', PROBE_TYPE],
      ['src', this.o.localNode],
      ['medium', medium],
      ['n', this.counter.toString(16)],
      ['heard', heard.join(',')],
    ];
  }

  /** One received frame on a medium. */
  frame(medium: string, bytes: Uint8Array): void {
    const s = this.media.get(medium);
    if (s === undefined) return;
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      s.undecodable += 1;
      return;
    }
    const m = decoded.value.inner ?? decoded.value.message;
    const src = (getString(m, 'src') ?? '').toLowerCase();
    if (src === this.o.localNode) return; // our own broadcast, looped back
    const peer = s.peers.get(src);
    if (peer === undefined) {
      if (src !== '' && s.strangers.size < 5) s.strangers.add(src);
      return;
    }
    const verdict = verifyFrame(decoded.value, this.o.keys).accepted;
    if (verdict !== 'ok') {
      peer.badSignatures += 1;
      peer.badVerdict = verdict;
      peer.badKeyIndex = (getString(m, 'auth') ?? '').split(' ')[0];
      return;
    }
    const type = getString(m, 't');
    if (type !== PROBE_TYPE) {
      if (type === 'status') peer.statusMessages += 1;
      return;
    }
    peer.probes += 1;
    const theirMedium = getString(m, 'medium');
    const n = parseInt(getString(m, 'n') ?? '', 16);
    if (theirMedium !== undefined && Number.isFinite(n)) this.heardFrom.get(src)?.set(theirMedium, n);
    // Their acknowledgements of our probes travel on any medium: credit the medium each one names.
    for (const entry of (getString(m, 'heard') ?? '').split(',')) {
      const [node, ourMedium, counter] = entry.split(' ');
      if (node !== this.o.localNode || ourMedium === undefined || counter === undefined) continue;
      const acked = this.media.get(ourMedium)?.peers.get(src);
      const c = parseInt(counter, 16);
      if (acked !== undefined && Number.isFinite(c) && c > acked.ackedUpTo) acked.ackedUpTo = c;
    }
  }

  /** Every (medium, peer) confirmed both ways. */
  allConfirmed(): boolean {
    for (const s of this.media.values()) {
      if (s.openError !== undefined) return false;
      for (const p of s.peers.values()) if (p.probes === 0 || p.ackedUpTo === 0) return false;
    }
    return true;
  }

  /**
   * Called after each round of probes: true when the test can end early — everything confirmed, and a few
   * more rounds sent so the peers hear our acknowledgements of their last probes too.
   */
  roundDone(): boolean {
    if (!this.allConfirmed()) return false;
    this.lingerLeft -= 1;
    return this.lingerLeft <= 0;
  }

  results(): LinkResult[] {
    const out: LinkResult[] = [];
    for (const s of this.media.values()) {
      for (const [peer, p] of s.peers) {
        const { verdict, text } = this.judge(s, peer, p);
        out.push({ medium: s.medium.name, describe: s.medium.describe, peer, verdict, text, sent: s.sent, heard: p.probes });
      }
    }
    return out;
  }

  private judge(s: MediumState, peer: string, p: PeerOnMedium): { verdict: LinkVerdict; text: string } {
    const d = s.medium.describe;
    const serial = s.medium.kind === 'serial';
    const problems = s.problems.length > 0 ? ` (the medium said: ${s.problems.join('; ')})` : '';
    if (s.openError !== undefined) {
      return {
        verdict: 'cannot-open',
        text: serial
          ? `${d}: cannot be opened: ${s.openError}. Check the device name in ha.cf, that the serial port exists (dmesg | grep tty) and that no other program holds it.`
          : `${d}: cannot be opened: ${s.openError}. Check the interface name in ha.cf and that it has an IPv4 address.`,
      };
    }
    if (p.badSignatures > 0 && p.probes === 0 && p.statusMessages === 0) {
      const why = p.badVerdict === 'unknown-key'
        ? `${peer} signs with key index ${p.badKeyIndex ?? '?'}, which ${this.o.authkeysPath} does not have`
        : p.badVerdict === 'bad-digest'
          ? `${peer}'s signatures do not match our key (the same index, another secret or method)`
          : `${peer}'s messages carry no valid signature (${p.badVerdict ?? 'unknown'})`;
      return {
        verdict: 'keys-differ',
        text: `${d}: ${p.badSignatures} message(s) from ${peer} arrive but fail authentication: ${why}. The two nodes' authkeys differ: copy ${this.o.authkeysPath} from one node to the other (mode 600).`,
      };
    }
    if (p.probes > 0 && p.ackedUpTo > 0) return { verdict: 'ok', text: `${d}: ${peer} hears us and we hear ${peer}; keys agree.` };
    if (p.probes === 0 && p.statusMessages > 0) {
      return {
        verdict: 'daemon-running',
        text: `${d}: we hear ${peer}'s heartbeat daemon (keys agree), so ${peer} → us works; stop heartbeat on ${peer} and run hbctl test-links there too to test us → ${peer}.`,
      };
    }
    if (p.probes > 0) {
      return {
        verdict: 'inbound-only',
        text: serial
          ? `${d}: we hear ${peer}, but ${peer} does not hear us. Check the cable's wiring in that direction (TX→RX) and flow control (RTS/CTS)${problems}.`
          : `${d}: we hear ${peer}, but ${peer} does not hear us. Our packets do not reach it: check ${peer}'s firewall (UDP port ${this.udpPort(d)} inbound) and our outbound rules${problems}.`,
      };
    }
    if (p.ackedUpTo > 0) {
      return {
        verdict: 'outbound-only',
        text: serial
          ? `${d}: ${peer} hears us, but nothing from ${peer} arrives. Check the cable's wiring in that direction (RX←TX)${problems}.`
          : `${d}: ${peer} hears us, but nothing from ${peer} arrives here. Our side drops it: check this node's firewall (UDP port ${this.udpPort(d)} inbound)${problems}.`,
      };
    }
    if (s.undecodable > 0) {
      return {
        verdict: 'garbage',
        text: serial
          ? `${d}: ${s.undecodable} frame(s) arrived that are not Heartbeat messages: the two ends probably use different baud rates (ha.cf \`baud\`), or something else writes to the line.`
          : `${d}: ${s.undecodable} datagram(s) arrived that are not Heartbeat messages: another program uses this port; give Heartbeat its own (ha.cf \`udpport\`).`,
      };
    }
    const strangers = s.strangers.size > 0 ? ` Heard instead: ${[...s.strangers].join(', ')} (not in ha.cf: check the node names).` : '';
    return {
      verdict: 'silent',
      text: serial
        ? `${d}: nothing from ${peer}, and ${peer} does not hear us. Check that ${peer} runs hbctl test-links at the same time, that the null-modem cable is plugged in at both ends, and the device name on both nodes${problems}.${strangers}`
        : `${d}: nothing from ${peer}, and ${peer} does not hear us. Check that ${peer} runs hbctl test-links at the same time, the cabling/switch, and that UDP port ${this.udpPort(d)} is open on both nodes${problems}.${strangers}`,
    };
  }

  private udpPort(describe: string): string {
    return /port (\d+)/.exec(describe)?.[1] ?? '694';
  }
}
