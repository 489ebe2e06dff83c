// The HOWTO's web service in a lab: each node's Apache config and hostname.html, and a client polling the VIP.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from './netns.js';
import { repoRoot } from './paths.js';
import { readLog, tail } from './real-heartbeat.js';

/** A private Apache listening on the VIP, serving /etc/ha.d/www (the node's own hostname.html). */
export function apacheConf(node: string, vip: string): string {
  return [
    'ServerRoot /etc/apache2',
    'LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so',
    'LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so',
    'User www-data',
    'Group www-data',
    `ServerName ${node}`,
    `Listen ${vip}:80`,
    'DefaultRuntimeDir /run',
    'PidFile /run/hbts-httpd.pid',
    'ErrorLog /var/log/hbts-httpd-error.log',
    'DocumentRoot /etc/ha.d/www',
    '<Directory /etc/ha.d/www>',
    '  Require all granted',
    '</Directory>',
    '',
  ].join('\n');
}

/**
 * Writes the node's /etc/ha.d/httpd.conf and www/hostname.html (naming the node), and puts heartbeat-ts's own
 * resource.d/httpd into the node's resource.d, where a real Heartbeat looks for it too. The haresources line
 * is the caller's: `alpha IPaddr2::VIP/24/eth0 httpd::/etc/ha.d/httpd.conf`.
 */
export function setUpWebNode(lab: Lab, node: string, vip: string): void {
  const dir = lab.node(node).haDir;
  fs.writeFileSync(path.join(dir, 'httpd.conf'), apacheConf(node, vip));
  fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'www', 'hostname.html'), `${node}\n`);
  fs.mkdirSync(path.join(dir, 'resource.d'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'resource.d', 'httpd'), path.join(dir, 'resource.d', 'httpd'));
  fs.chmodSync(path.join(dir, 'resource.d', 'httpd'), 0o755);
  fs.chmodSync(dir, 0o755);
}

export interface Sample {
  readonly atMs: number;
  /** The node whose hostname.html answered; '' when nothing answered. */
  readonly node: string;
}

export interface WebClient {
  readonly samples: Sample[];
  stop(): Promise<void>;
}

/** Polls http://VIP/hostname.html from the `client` node every 100 ms (0.3 s timeout) until stopped or maxMs. */
export function startClient(lab: Lab, vip: string, maxMs: number, clientNode = 'client'): WebClient {
  const samples: Sample[] = [];
  let running = true;
  const t0 = Date.now();
  const loop = (async () => {
    while (running && Date.now() - t0 < maxMs) {
      const at = Date.now();
      const r = await lab.exec(clientNode, ['curl', '-s', '-m', '0.3', `http://${vip}/hostname.html`], { timeoutMs: 3000 });
      samples.push({ atMs: at, node: r.exitCode === 0 ? r.stdout.trim() : '' });
      const wait = 100 - (Date.now() - at);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Waits (bounded) for the first answer from `node` polled at or after sinceMs; resolves with the delay. */
export async function servedBy(client: WebClient, node: string, sinceMs: number, timeoutMs: number, lab: Lab): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = client.samples.find((s) => s.atMs >= sinceMs && s.node === node);
    if (hit !== undefined) return hit.atMs - sinceMs;
    if (Date.now() > deadline) {
      const last = client.samples.slice(-5).map((s) => s.node || '-').join(',');
      throw new Error(`not served by ${node} within ${timeoutMs} ms (last answers: ${last})\nalpha:\n${tail(readLog(lab, 'alpha'), 25)}\nbravo:\n${tail(readLog(lab, 'bravo'), 25)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The longest run of unanswered samples after sinceMs, in ms (0 when every poll was answered). */
export function longestGap(samples: readonly Sample[], sinceMs: number): number {
  let gap = 0;
  let start: number | undefined;
  for (const s of samples.filter((x) => x.atMs >= sinceMs)) {
    if (s.node === '') start ??= s.atMs;
    else if (start !== undefined) {
      gap = Math.max(gap, s.atMs - start);
      start = undefined;
    }
  }
  return gap;
}

/** Answers naming neither node: a wrong page, never acceptable. */
export function strayAnswers(samples: readonly Sample[], nodes: readonly string[] = ['alpha', 'bravo']): Sample[] {
  return samples.filter((s) => s.node !== '' && !nodes.includes(s.node));
}
