// Interface facts read the kernel's way (issue 20): `ip -j addr show`, /proc/net/if_inet6 and `ip monitor` parsed; IPv6 media checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipv6Bytes, mcast6GroupProblem, ucast6PeerProblem } from '../../src/config/ipv6.js';
import { ipv4Broadcast, linkDownReason, parseIfInet6, parseIpJson } from '../../src/media/link-facts.js';
import { parseMonitorLine } from '../../src/media/link-watch.js';
import { peerKey, ucast6Destination } from '../../src/media/ucast6.js';

/** `ip -j addr show` in a namespace where eth0 is up without carrier (veth peer down), eth1 down, eth2 up. */
const IP_JSON = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], operstate: 'UNKNOWN', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
  {
    ifindex: 2, ifname: 'eth0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], operstate: 'LOWERLAYERDOWN',
    addr_info: [
      { family: 'inet', local: '198.51.100.11', prefixlen: 24, broadcast: '198.51.100.255', scope: 'global' },
      { family: 'inet', local: '198.51.100.99', prefixlen: 24, broadcast: '198.51.100.255', scope: 'global', secondary: true },
      { family: 'inet6', local: '2001:db8::11', prefixlen: 64, scope: 'global', tentative: true },
    ],
  },
  { ifindex: 3, ifname: 'eth1', flags: ['BROADCAST', 'MULTICAST'], operstate: 'DOWN', addr_info: [{ family: 'inet', local: '203.0.113.11', prefixlen: 24, scope: 'global' }] },
  { ifindex: 4, ifname: 'eth2', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP', addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }] },
]);

test('ip -j addr show: an interface without carrier exists and has its addresses (what SIOCGIFADDR answers)', () => {
  const t = parseIpJson(IP_JSON);
  assert.ok(t);
  const eth0 = t.get('eth0');
  assert.ok(eth0);
  assert.equal(eth0.exists, true);
  assert.equal(eth0.ifindex, 2);
  assert.equal(eth0.carrier, false);
  assert.equal(eth0.operstate, 'lowerlayerdown');
  assert.deepEqual(eth0.ipv4[0], { address: '198.51.100.11', prefixLength: 24, broadcast: '198.51.100.255' }, 'the primary address first');
  assert.deepEqual(eth0.ipv6, [{ address: '2001:db8::11', prefixLength: 64, scope: 'global', tentative: true }]);
  assert.equal(linkDownReason(eth0), 'no carrier');
});

test('ip -j addr show: down, up and loopback interfaces; broadcast computed when the kernel has none', () => {
  const t = parseIpJson(IP_JSON);
  assert.ok(t);
  const eth1 = t.get('eth1');
  assert.ok(eth1);
  assert.equal(eth1.carrier, undefined);
  assert.equal(linkDownReason(eth1), 'interface is administratively down');
  assert.equal(eth1.ipv4[0]?.broadcast, '203.0.113.255');
  const eth2 = t.get('eth2');
  assert.ok(eth2);
  assert.equal(eth2.carrier, true);
  assert.equal(linkDownReason(eth2), undefined);
  assert.equal(eth2.ipv6[0]?.scope, 'link');
  assert.equal(linkDownReason(t.get('lo') ?? assert.fail('lo')), undefined);
  assert.equal(t.get('eth9'), undefined);
});

test('ip -j addr show: garbage is undefined (the caller falls back), odd entries are skipped', () => {
  assert.equal(parseIpJson('not json'), undefined);
  assert.equal(parseIpJson('{}'), undefined);
  assert.deepEqual([...(parseIpJson('[1, null, {"ifname": 3}, {"ifname": "x", "addr_info": [null, {"family": "inet"}]}]') ?? new Map()).keys()], ['x']);
});

test('/proc/net/if_inet6: addresses compressed, scope and tentative flag read', () => {
  const text = [
    '00000000000000000000000000000001 01 80 10 80       lo',
    '20010db8000000000000000000000011 05 40 00 c0     eth1',
    'fe800000000000000000000000000012 05 40 20 80     eth1',
    'garbage',
  ].join('\n');
  const t = parseIfInet6(text);
  assert.deepEqual(t.get('lo'), [{ address: '::1', prefixLength: 128, scope: 'host', tentative: false }]);
  assert.deepEqual(t.get('eth1'), [
    { address: '2001:db8::11', prefixLength: 64, scope: 'global', tentative: true },
    { address: 'fe80::12', prefixLength: 64, scope: 'link', tentative: false },
  ]);
});

test('ipv4Broadcast', () => {
  assert.equal(ipv4Broadcast('198.51.100.11', 24), '198.51.100.255');
  assert.equal(ipv4Broadcast('198.51.100.11', 30), '198.51.100.11');
  assert.equal(ipv4Broadcast('198.51.100.11', 32), '198.51.100.11');
  assert.equal(ipv4Broadcast('10.1.2.3', 0), '255.255.255.255');
});

test('ipv6Bytes is inet_pton(AF_INET6)', () => {
  assert.deepEqual([...(ipv6Bytes('2001:db8::12') ?? [])], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12]);
  assert.deepEqual([...(ipv6Bytes('::ffff:198.51.100.1') ?? [])].slice(10), [0xff, 0xff, 198, 51, 100, 1]);
  for (const bad of ['2001:db8::zz', '198.51.100.1', '1::2::3', '', 'fe80::1%eth0']) assert.equal(ipv6Bytes(bad), undefined, bad);
});

test('ucast6 peers as ucast6.c accepts them (measured: ucast6-* config sets)', () => {
  for (const ok of ['2001:db8::12', 'fe80::12', 'fe80::12%eth0', '::ffff:198.51.100.12']) assert.equal(ucast6PeerProblem(ok), undefined, ok);
  assert.match(ucast6PeerProblem('ff02::1') ?? '', /multicast/);
  assert.match(ucast6PeerProblem('::') ?? '', /unspecified/);
  assert.match(ucast6PeerProblem('::1') ?? '', /loopback/);
  assert.match(ucast6PeerProblem('198.51.100.12') ?? '', /not an IPv6/);
});

test('mcast6 groups as mcast6.c accepts them: link, admin, site, organization scope; T flag only', () => {
  for (const ok of ['ff02::1:2', 'ff12::1:2:3:4', 'ff14::1', 'ff15::1', 'ff18::1']) assert.equal(mcast6GroupProblem(ok), undefined, ok);
  for (const bad of ['ff01::1', 'ff0e::1:2', 'ff03::1', 'ff32::1', 'ff02::', '2001:db8::1', 'x']) assert.notEqual(mcast6GroupProblem(bad), undefined, bad);
});

test('ucast6 destination: a link-local peer goes out on the medium\'s interface; sources compare without scope', () => {
  assert.equal(ucast6Destination('2001:db8::12', 'eth1'), '2001:db8::12');
  assert.equal(ucast6Destination('fe80::12', 'eth1'), 'fe80::12%eth1');
  assert.equal(ucast6Destination('fe80::12%eth1', 'eth1'), 'fe80::12%eth1');
  assert.equal(peerKey('FE80::12%eth1'), 'fe80::12');
});

test('ip monitor lines: link and address events, deletions', () => {
  assert.deepEqual(parseMonitorLine('9: eth1@if10: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default \\    link/ether 52:5f:f7:9b:10:78 brd ff:ff:ff:ff:ff:ff'), { ifindex: 9, name: 'eth1', link: true, deleted: false });
  assert.deepEqual(parseMonitorLine('Deleted 3: v1@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default'), { ifindex: 3, name: 'v1', link: true, deleted: true });
  assert.deepEqual(parseMonitorLine('9: eth1    inet 203.0.113.11/24 brd 203.0.113.255 scope global eth1\\       valid_lft forever preferred_lft forever'), { ifindex: 9, name: 'eth1', link: false, deleted: false });
  assert.deepEqual(parseMonitorLine('Deleted 9: eth1    inet6 2001:db8:1::11/64 scope global \\       valid_lft forever'), { ifindex: 9, name: 'eth1', link: false, deleted: true });
  assert.deepEqual(parseMonitorLine('[LINK]4: eth0: <BROADCAST,UP,LOWER_UP> mtu 1500 state UP'), { ifindex: 4, name: 'eth0', link: true, deleted: false });
  for (const junk of ['', 'garbage', '    link/ether 52:5f', 'ff02::1 dev eth0 lladdr']) assert.equal(parseMonitorLine(junk), undefined, junk);
});
