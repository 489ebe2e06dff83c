// The UDP media registry: a configured bcast/ucast/mcast/ucast6/mcast6 line → its MediumAdapter.
import type { Medium } from '../config/model.js';
import { BcastMedium } from './bcast.js';
import { McastMedium } from './mcast.js';
import { Mcast6Medium } from './mcast6.js';
import type { MediumAdapter } from './medium.js';
import { UcastMedium } from './ucast.js';
import { Ucast6Medium } from './ucast6.js';

/** The adapter for a UDP medium; undefined for the other kinds (serial, ping…), which live elsewhere. */
export function createUdpMedium(medium: Medium, nowMs?: () => number): MediumAdapter | undefined {
  switch (medium.kind) {
    case 'bcast':
      return new BcastMedium({ iface: medium.iface, port: medium.port }, nowMs);
    case 'ucast':
      return new UcastMedium({ iface: medium.iface, peer: medium.peer, port: medium.port }, nowMs);
    case 'mcast':
      return new McastMedium(
        { iface: medium.iface, group: medium.group, port: medium.port, ttl: medium.ttl, loop: medium.loop },
        nowMs,
      );
    case 'ucast6':
      return new Ucast6Medium({ iface: medium.iface, peer: medium.peer, port: medium.port }, nowMs);
    case 'mcast6':
      return new Mcast6Medium(
        { iface: medium.iface, group: medium.group, port: medium.port, hops: medium.hops, loop: medium.loop },
        nowMs,
      );
    default:
      return undefined;
  }
}
