// The HOWTO's web service in a lab: each node's Apache config and hostname.html, and a client polling the VIP.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from './netns.js';
import { distDir, repoRoot } from './paths.js';
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
  /** Every answered or failed poll so far, in the order they started. */
  samples(): Sample[];
  stop(): Promise<void>;
}

/**
 * Polls http://VIP/hostname.html from the `client` node every `intervalMs` (default 100 ms; 0.3 s timeout, a new connection each
 * time) until stopped or maxMs: one poller process in the client's namespace (test/helpers/http-poller.ts)
 * writing a line per request, so polling costs no process per request.
 */
export function startClient(lab: Lab, vip: string, maxMs: number, clientNode = 'client', intervalMs = 100): WebClient {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-web-'));
  const file = path.join(dir, 'samples.txt');
  const poller = lab.start(clientNode, [process.execPath, path.join(distDir, 'test', 'helpers', 'http-poller.js'), `http://${vip}/hostname.html`, file, String(intervalMs), '300', String(maxMs)]);
  let final: Sample[] | undefined;
  return {
    samples: () => final ?? readSamples(file),
    stop: async () => {
      if (final !== undefined) return;
      await poller.stop(5000);
      final = readSamples(file);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The poller's lines "START_MS END_MS BODY" (BODY "-" for no answer), ordered by start. */
function readSamples(file: string): Sample[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return [];
  }
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) \d+ (\S+)$/.exec(line);
    if (m !== null) out.push({ atMs: Number(m[1]), node: m[2] === '-' ? '' : (m[2] ?? '') });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** Waits (bounded) for the first answer from `node` polled at or after sinceMs; resolves with the delay. */
export async function servedBy(client: WebClient, node: string, sinceMs: number, timeoutMs: number, lab: Lab): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = client.samples();
    const hit = samples.find((s) => s.atMs >= sinceMs && s.node === node);
    if (hit !== undefined) return hit.atMs - sinceMs;
    if (Date.now() > deadline) {
      const last = samples.slice(-5).map((s) => s.node || '-').join(',');
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
