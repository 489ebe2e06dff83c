// readPcap on synthetic captures: both byte orders, ns timestamps, Ethernet/VLAN/SLL/SLL2, filters, truncation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { realFixturesDir } from '../helpers/paths.js';
import { readPcap } from '../../src/wire/index.js';

function ipv4(proto: number, src: number[], dst: number[], l4: Buffer, flagsFrag = 0): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + l4.length, 2);
  h.writeUInt16BE(flagsFrag, 6);
  h[8] = 64;
  h[9] = proto;
  h.set(src, 12);
  h.set(dst, 16);
  return Buffer.concat([h, l4]);
}

function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

function icmp(type: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  return Buffer.concat([h, data]);
}

const ether = (ip: Buffer, vlan = false): Buffer =>
  Buffer.concat([Buffer.alloc(12, 0xaa), vlan ? Buffer.from([0x81, 0x00, 0x00, 0x05]) : Buffer.alloc(0), Buffer.from([0x08, 0x00]), ip]);
const sll = (ip: Buffer): Buffer => Buffer.concat([Buffer.alloc(14), Buffer.from([0x08, 0x00]), ip]);
const sll2 = (ip: Buffer): Buffer => Buffer.concat([Buffer.from([0x08, 0x00]), Buffer.alloc(18), ip]);

function pcap(linkType: number, frames: Buffer[], opts: { be?: boolean; nano?: boolean } = {}): Buffer {
  const w32 = (b: Buffer, v: number, off: number): void => {
    if (opts.be === true) b.writeUInt32BE(v, off);
    else b.writeUInt32LE(v, off);
  };
  const head = Buffer.alloc(24);
  w32(head, opts.nano === true ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  if (opts.be === true) {
    head.writeUInt16BE(2, 4);
    head.writeUInt16BE(4, 6);
  } else {
    head.writeUInt16LE(2, 4);
    head.writeUInt16LE(4, 6);
  }
  w32(head, 65535, 16);
  w32(head, linkType, 20);
  const recs = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    w32(r, 1_700_000_000 + i, 0);
    w32(r, opts.nano === true ? 250_000_000 : 250_000, 4);
    w32(r, f.length, 8);
    w32(r, f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([head, ...recs]);
}

const A = [192, 0, 2, 11];
const B = [192, 0, 2, 255];
const HB = Buffer.from('###\n11:(0)t=status,%%%\n');

test('Ethernet, both byte orders, µs and ns: UDP to or from 694 and ICMP echo data, nothing else', () => {
  const frames = [
    ether(ipv4(17, A, B, udp(40000, 694, HB))),
    ether(ipv4(17, B, A, udp(694, 40001, HB))),
    ether(ipv4(17, A, B, udp(40000, 53, HB))), // other port
    ether(ipv4(1, A, [192, 0, 2, 1], icmp(8, HB))),
    ether(ipv4(1, [192, 0, 2, 1], A, icmp(0, HB))),
    ether(ipv4(1, A, B, icmp(3, HB))), // unreachable: not the ping medium
    ether(ipv4(6, A, B, Buffer.alloc(20))), // TCP
    ether(ipv4(17, A, B, udp(40000, 694, HB), 0x2000)), // a fragment
    ether(ipv4(17, A, B, udp(40000, 694, HB)), true), // VLAN-tagged
  ];
  for (const opts of [{}, { be: true }, { nano: true }, { be: true, nano: true }]) {
    const r = readPcap(pcap(1, frames, opts));
    assert.ok(r.ok);
    assert.equal(r.value.records, frames.length);
    assert.deepEqual(
      r.value.packets.map((p) => [p.kind, p.src, p.dst, p.srcPort, p.dstPort, p.icmpType]),
      [
        ['udp', '192.0.2.11', '192.0.2.255', 40000, 694, -1],
        ['udp', '192.0.2.255', '192.0.2.11', 694, 40001, -1],
        ['icmp', '192.0.2.11', '192.0.2.1', 0, 0, 8],
        ['icmp', '192.0.2.1', '192.0.2.11', 0, 0, 0],
        ['udp', '192.0.2.11', '192.0.2.255', 40000, 694, -1],
      ],
    );
    for (const p of r.value.packets) assert.deepEqual(Buffer.from(p.payload), HB);
    assert.equal(r.value.packets[0]?.timeMs, 1_700_000_000_250);
    assert.equal(r.value.packets[0]?.timeUs, 1_700_000_000_250_000);
  }
});

test('Linux cooked (SLL and SLL2) link types, and another port', () => {
  for (const [lt, wrap] of [[113, sll], [276, sll2]] as const) {
    const r = readPcap(pcap(lt, [wrap(ipv4(17, A, B, udp(1, 695, HB)))]), { port: 695 });
    assert.ok(r.ok);
    assert.equal(r.value.linkType, lt);
    assert.equal(r.value.packets.length, 1);
  }
});

test('bad headers are errors; a file cut anywhere returns the complete records and says truncated', () => {
  assert.ok(!readPcap(Buffer.alloc(10)).ok);
  assert.ok(!readPcap(Buffer.alloc(24)).ok);
  const ng = readPcap(Buffer.from('0a0d0d0a000000000000000000000000000000000000000000', 'hex'));
  assert.ok(!ng.ok && ng.error.includes('pcapng'));
  const file = pcap(1, [ether(ipv4(17, A, B, udp(1, 694, HB))), ether(ipv4(17, A, B, udp(1, 694, HB)))]);
  for (let n = 24; n <= file.length; n++) {
    const r = readPcap(file.subarray(0, n));
    assert.ok(r.ok);
    assert.equal(r.value.truncated, n !== file.length && n !== 24 && n !== 24 + (file.length - 24) / 2);
  }
});

test('the recordings: Ethernet, no truncation, ICMP ping data present in ipfail.pcap', () => {
  const r = readPcap(fs.readFileSync(path.join(realFixturesDir, 'pcap', 'ipfail.pcap')));
  assert.ok(r.ok);
  assert.equal(r.value.linkType, 1);
  assert.ok(r.value.packets.some((p) => p.kind === 'icmp' && p.icmpType === 8));
  assert.ok(r.value.packets.some((p) => p.kind === 'icmp' && p.icmpType === 0));
});
