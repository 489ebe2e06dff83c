// Turns an input file's bytes into candidate Heartbeat messages: one payload, a classic/serial stream, or a pcap.
import { Buffer } from 'node:buffer';
import { err, ok, type Result } from '../core/result.js';
import { ClassicStreamSplitter, readPcap } from '../wire/index.js';

/** How to read a file: guess from its first bytes, or as stated on the command line. */
export type InputMode = 'auto' | 'serial' | 'pcap';

/** Where a message came from when it was read out of a capture. */
export interface CaptureOrigin {
  readonly timeUs: number;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  readonly proto: 'udp' | 'icmp';
  /** 8 echo request, 0 echo reply; -1 for UDP. */
  readonly icmpType: number;
}

/** One candidate message: its bytes and, for pcap input, where it was captured. */
export interface WireItem {
  readonly file: string;
  /** 1-based position in its file. */
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly origin: CaptureOrigin | null;
}

export interface FileItems {
  readonly kind: 'payload' | 'stream' | 'pcap';
  readonly items: WireItem[];
  /** Things worth telling the operator (skipped bytes, a capture cut short); printed on stderr. */
  readonly notes: string[];
}

const NETSTRING_START = Buffer.from('###\n', 'latin1');
const CLASSIC_START = Buffer.from('>>>\n', 'latin1');

/** libpcap magic numbers in either byte order, µs or ns resolution; pcapng's block type too (to name it). */
export function looksLikePcap(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const m = Buffer.from(b.buffer, b.byteOffset, 4).readUInt32LE(0);
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1 || m === 0x0a0d0d0a;
}

function startsWith(b: Uint8Array, prefix: Buffer): boolean {
  return b.length >= prefix.length && Buffer.compare(b.subarray(0, prefix.length), prefix) === 0;
}

/** A Heartbeat message starts with `###\n` (netstring) or `>>>\n` (classic). */
export function looksLikeMessage(b: Uint8Array): boolean {
  return startsWith(b, NETSTRING_START) || startsWith(b, CLASSIC_START);
}

function splitStream(file: string, bytes: Uint8Array): FileItems {
  const splitter = new ClassicStreamSplitter();
  const messages = splitter.push(bytes);
  const notes: string[] = [];
  const { discardedBytes, abandoned } = splitter.stats;
  const pending = splitter.bufferedBytes;
  if (discardedBytes > 0) notes.push(`${file}: skipped ${discardedBytes} bytes outside ">>>"/"<<<" messages`);
  if (abandoned > 0) notes.push(`${file}: ${abandoned} message(s) cut off (a new ">>>" began before "<<<")`);
  if (pending > 0) notes.push(`${file}: ${pending} bytes at the end are an unfinished message`);
  return { kind: 'stream', items: messages.map((m, i) => ({ file, index: i + 1, bytes: m, origin: null })), notes };
}

function fromPcap(file: string, bytes: Uint8Array): Result<FileItems, string> {
  const cap = readPcap(bytes);
  if (!cap.ok) return err(`${file}: ${cap.error}`);
  const notes: string[] = [];
  if (cap.value.truncated) notes.push(`${file}: the capture ends inside a record (cut short); the complete records are shown`);
  const items: WireItem[] = [];
  let skippedIcmp = 0;
  for (const p of cap.value.packets) {
    // Ordinary pings share ICMP with the ping medium; only echo data that is a Heartbeat message counts.
    if (p.kind === 'icmp' && !looksLikeMessage(p.payload)) {
      skippedIcmp++;
      continue;
    }
    items.push({
      file,
      index: items.length + 1,
      bytes: p.payload,
      origin: { timeUs: p.timeUs, src: p.src, srcPort: p.srcPort, dst: p.dst, dstPort: p.dstPort, proto: p.kind, icmpType: p.icmpType },
    });
  }
  if (skippedIcmp > 0) notes.push(`${file}: skipped ${skippedIcmp} ICMP echo packet(s) whose data is not a Heartbeat message`);
  return ok({ kind: 'pcap', items, notes });
}

/**
 * The messages in one file. auto: a pcap by its magic number, a classic stream when it starts with `>>>\n`
 * (one message or many, e.g. a FIFO or serial dump), else one netstring payload (a UDP/ICMP payload as
 * saved by e.g. `tshark -T fields -e data`, decoded to bytes). serial: a raw serial stream, any garbage
 * between messages skipped. pcap: a capture (UDP port 694, ICMP echo data of the ping medium).
 */
export function itemsOf(file: string, bytes: Uint8Array, mode: InputMode): Result<FileItems, string> {
  if (mode === 'pcap' || (mode === 'auto' && looksLikePcap(bytes))) return fromPcap(file, bytes);
  if (mode === 'serial' || (mode === 'auto' && startsWith(bytes, CLASSIC_START))) return ok(splitStream(file, bytes));
  if (mode === 'auto' && bytes.length === 0) return ok({ kind: 'payload', items: [], notes: [`${file}: empty`] });
  return ok({ kind: 'payload', items: [{ file, index: 1, bytes, origin: null }], notes: [] });
}
