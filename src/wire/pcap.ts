// A pure libpcap reader: Heartbeat's UDP payloads and ping-medium ICMP echo data out of a capture file's bytes.
import { Buffer } from 'node:buffer';
import { err, ok, type Result } from '../core/result.js';

export interface PcapPacket {
  /** Capture time, integer milliseconds since the epoch (and the same in microseconds). */
  readonly timeMs: number;
  readonly timeUs: number;
  /** Dotted IPv4 addresses. */
  readonly src: string;
  readonly dst: string;
  /** UDP ports; 0 for ICMP. */
  readonly srcPort: number;
  readonly dstPort: number;
  readonly kind: 'udp' | 'icmp';
  /** ICMP type (8 echo, 0 echo-reply); -1 for UDP. */
  readonly icmpType: number;
  /** The UDP payload, or the ICMP echo data after the 8-byte ICMP header. */
  readonly payload: Uint8Array;
}

export interface PcapCapture {
  /** LINKTYPE_* of the file: 1 Ethernet, 113 Linux cooked (SLL), 276 SLL2, 101 raw IPv4. */
  readonly linkType: number;
  readonly packets: readonly PcapPacket[];
  /** Records seen (all protocols). */
  readonly records: number;
  /** True when the file ends inside a record (a capture cut short): what came before is still returned. */
  readonly truncated: boolean;
}

export interface ReadPcapOptions {
  /** UDP port to keep when on either side; default 694 (Heartbeat's udpport). */
  readonly port?: number;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;

function ipString(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** Offset of the IPv4 header inside a frame, or -1 if the frame does not carry IPv4. */
function ipv4Offset(linkType: number, frame: Buffer): number {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (frame.length < 14) return -1;
      let off = 12;
      let type = frame.readUInt16BE(off);
      while ((type === 0x8100 || type === 0x88a8) && frame.length >= off + 6) {
        off += 4; // 802.1Q / 802.1ad tag
        type = frame.readUInt16BE(off);
      }
      return type === 0x0800 ? off + 2 : -1;
    }
    case LINKTYPE_LINUX_SLL:
      return frame.length >= 16 && frame.readUInt16BE(14) === 0x0800 ? 16 : -1;
    case LINKTYPE_LINUX_SLL2:
      return frame.length >= 20 && frame.readUInt16BE(0) === 0x0800 ? 20 : -1;
    case LINKTYPE_RAW:
      return 0;
    default:
      return -1;
  }
}

function packetOf(frame: Buffer, ip: number, timeUs: number, port: number): PcapPacket | null {
  if (ip < 0 || frame.length < ip + 20 || (frame[ip] as number) >> 4 !== 4) return null;
  const ihl = ((frame[ip] as number) & 0x0f) * 4;
  const totalLen = frame.readUInt16BE(ip + 2);
  const fragment = frame.readUInt16BE(ip + 6) & 0x3fff; // MF flag or a fragment offset
  if (ihl < 20 || totalLen < ihl || fragment !== 0) return null;
  const ipEnd = Math.min(frame.length, ip + totalLen); // drop Ethernet padding, tolerate snaplen cuts
  const l4 = ip + ihl;
  const proto = frame[ip + 9];
  const base = { timeMs: Math.floor(timeUs / 1000), timeUs, src: ipString(frame, ip + 12), dst: ipString(frame, ip + 16) };
  if (proto === 17) {
    if (ipEnd < l4 + 8) return null;
    const srcPort = frame.readUInt16BE(l4);
    const dstPort = frame.readUInt16BE(l4 + 2);
    if (srcPort !== port && dstPort !== port) return null;
    const udpEnd = Math.min(ipEnd, l4 + Math.max(8, frame.readUInt16BE(l4 + 4)));
    return { ...base, srcPort, dstPort, kind: 'udp', icmpType: -1, payload: frame.subarray(l4 + 8, udpEnd) };
  }
  if (proto === 1) {
    if (ipEnd < l4 + 8) return null;
    const type = frame[l4] as number;
    if (type !== 8 && type !== 0) return null;
    return { ...base, srcPort: 0, dstPort: 0, kind: 'icmp', icmpType: type, payload: frame.subarray(l4 + 8, ipEnd) };
  }
  return null;
}

/**
 * Reads a classic libpcap file (either byte order, µs or ns timestamps) and returns IPv4 UDP packets with
 * the port on either side and ICMP echo / echo-reply data. Never throws: a bad header is an error, a file
 * cut inside a record returns what was complete with `truncated: true`. Payloads are views into `bytes`.
 */
export function readPcap(bytes: Uint8Array, options: ReadPcapOptions = {}): Result<PcapCapture, string> {
  const port = options.port ?? 694;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 24) return err('not a pcap file: shorter than its 24-byte header');
  const magicLE = b.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = b.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) {
      return err(magicLE === 0x0a0d0d0a ? 'pcapng is not supported: save as libpcap (e.g. editcap -F pcap)' : 'not a pcap file: bad magic');
    }
    le = false;
    nano = magicBE === 0xa1b23c4d;
  }
  const u32 = (off: number): number => (le ? b.readUInt32LE(off) : b.readUInt32BE(off));
  const linkType = u32(20) & 0x0fffffff; // upper bits may hold FCS information
  const packets: PcapPacket[] = [];
  let off = 24;
  let records = 0;
  let truncated = false;
  while (off < b.length) {
    if (b.length - off < 16) {
      truncated = true;
      break;
    }
    const sec = u32(off);
    const frac = u32(off + 4);
    const inclLen = u32(off + 8);
    if (inclLen > b.length - off - 16) {
      truncated = true;
      break;
    }
    records++;
    const frame = b.subarray(off + 16, off + 16 + inclLen);
    const timeUs = sec * 1_000_000 + (nano ? Math.floor(frac / 1000) : frac);
    const p = packetOf(frame, ipv4Offset(linkType, frame), timeUs, port);
    if (p !== null) packets.push(p);
    off += 16 + inclLen;
  }
  return ok({ linkType, packets, records, truncated });
}
