// Benchmark: `heartbeat --check-config` on a 5,000-line ha.cf, side by side with Heartbeat 3.0.6's `heartbeat -r`.
//
// Three figures:
//   in-process   loadConfig() alone (parse + cross-checks), median of many runs;
//   ours         the whole CLI (`node heartbeat --check-config`) in fresh namespaces, median of RUNS;
//   real         `heartbeat -r` of the real daemon in identical namespaces (it parses the same files the same
//                way and exits), median of RUNS — needs root; skipped with a note otherwise.
// The namespace set-up is the same for both and is measured on its own (`true`), so the ratio compares the
// programs, not unshare.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/daemon/load-config.js';
import { ourVerdict, realVerdict, REAL_HEARTBEAT, VERDICT_ETH0 } from '../helpers/config-verdict.js';
import { runInFreshNamespaces } from '../helpers/netns.js';
import { recordRow } from './summary.js';

const LINES = 5000;
const RUNS = 7;
const IN_PROCESS_RUNS = 50;

/** A valid classic-pair ha.cf padded to `lines` lines with the comments and blanks real files are full of. */
export function bigHaCf(lines: number): string {
  const head = [
    '# generated for the check-config benchmark',
    'logfacility local0',
    'keepalive 2',
    'warntime 10',
    'deadtime 30',
    'initdead 120',
    'udpport 694',
    'bcast eth0',
    'auto_failback on',
    'node alpha',
    'node bravo',
    'ping 198.51.100.1',
    'respawn hacluster /usr/libexec/heartbeat/ipfail', // the Debian path: the real daemon checks it exists
    'apiauth ipfail gid=haclient uid=hacluster',
  ];
  const out = [...head];
  for (let i = out.length; i < lines; i++) {
    out.push(i % 10 === 0 ? '' : i % 3 === 0 ? `#   deadtime ${i}   # an old setting, kept for history` : `# comment line ${i}: the quick brown fox`);
  }
  return `${out.join('\n')}\n`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function writeConfig(dir: string): void {
  fs.writeFileSync(path.join(dir, 'ha.cf'), bigHaCf(LINES));
  fs.writeFileSync(path.join(dir, 'haresources'), 'alpha 198.51.100.10 httpd\n');
  fs.writeFileSync(path.join(dir, 'authkeys'), 'auth 1\n1 sha1 benchmark-secret\n', { mode: 0o600 });
  fs.chmodSync(path.join(dir, 'authkeys'), 0o600);
}

export async function benchCheckConfig(): Promise<string[]> {
  const lines: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-bench-cc-'));
  fs.chmodSync(dir, 0o755);
  try {
    writeConfig(dir);
    const first = loadConfig({ configDir: dir, nodeName: 'alpha' });
    if (first.config === undefined) {
      throw new Error(`benchmark config rejected: ${first.diagnostics.map((d) => d.message).join('; ')}`);
    }
    const inProcess: number[] = [];
    for (let i = 0; i < IN_PROCESS_RUNS; i++) {
      const t0 = process.hrtime.bigint();
      loadConfig({ configDir: dir, nodeName: 'alpha' });
      inProcess.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    lines.push(`check-config: ${LINES}-line ha.cf, loadConfig in-process: median ${median(inProcess).toFixed(2)} ms over ${IN_PROCESS_RUNS} runs`);
    recordRow({ bench: 'check-config', scenario: `loadConfig in-process, ${LINES}-line ha.cf`, unit: 'ms', ours: inProcess, real: [] });

    if (process.getuid?.() !== 0 || !fs.existsSync(REAL_HEARTBEAT)) {
      lines.push('check-config: side-by-side with Heartbeat 3.0.6 skipped: needs root and the heartbeat package');
      return lines;
    }
    const base: number[] = [];
    const ours: number[] = [];
    const real: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const b = await runInFreshNamespaces(['true'], { hostname: 'alpha', eth0: VERDICT_ETH0, tmpfs: ['/run', '/var/log'] });
      base.push(b.durationMs);
      const o = await ourVerdict(dir, 'alpha');
      if (o.verdict !== 'accept') throw new Error(`heartbeat-ts rejected the benchmark config:\n${o.output}`);
      ours.push(o.result.durationMs);
      const r = await realVerdict(dir, 'alpha');
      if (r.verdict !== 'accept') throw new Error(`Heartbeat 3.0.6 rejected the benchmark config:\n${r.output}`);
      real.push(r.result.durationMs);
    }
    const b = median(base);
    const o = median(ours) - b;
    const r = median(real) - b;
    lines.push(
      `check-config: whole command in fresh namespaces (median of ${RUNS}, namespace set-up ${b.toFixed(0)} ms subtracted): ` +
        `heartbeat-ts ${o.toFixed(0)} ms, Heartbeat 3.0.6 -r ${r.toFixed(0)} ms, ratio ours/real ${(o / Math.max(r, 1)).toFixed(2)}`,
    );
    lines.push('check-config: (most of ours is starting Node.js itself; see the in-process figure for the parser)');
    recordRow({
      bench: 'check-config',
      scenario: `whole command in fresh namespaces, ${LINES}-line ha.cf: heartbeat --check-config vs heartbeat -r`,
      unit: 'ms',
      ours: ours.map((x) => x - b),
      real: real.map((x) => x - b),
      note: `each run minus the namespace set-up median ${b.toFixed(0)} ms (${RUNS} runs of \`true\`)`,
    });
    return lines;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const l of await benchCheckConfig()) console.log(l);
}
