// ha.cf media lines → the adapters that carry them (UDP media and serial); ping media are handled apart.
import type { Medium } from '../config/model.js';
import type { MediumAdapter } from '../media/medium.js';
import { SerialMedium } from '../media/serial.js';
import { createUdpMedium } from '../media/udp-media.js';

export interface MediaPlan {
  readonly adapters: readonly MediumAdapter[];
  /** Media we accept in ha.cf but do not carry yet, each with the reason (logged at start). */
  readonly skipped: readonly string[];
}

export function planMedia(media: readonly Medium[]): MediaPlan {
  const adapters: MediumAdapter[] = [];
  const skipped: string[] = [];
  for (const m of media) {
    if (m.kind === 'serial') {
      adapters.push(new SerialMedium({ device: m.device, baud: m.baud }));
      continue;
    }
    if (m.kind === 'ping' || m.kind === 'ping_group' || m.kind === 'ping6') continue; // ping-nodes.ts
    const udp = createUdpMedium(m);
    if (udp !== undefined) adapters.push(udp);
    else skipped.push(`${m.kind}: not carried by heartbeat-ts yet ; Heartbeat 3.0.6 would use it`);
  }
  return { adapters, skipped };
}
