// `hbctl propagate`: copy this node's ha.cf, haresources, authkeys and monitors to the other nodes over scp, as
// Heartbeat's ha_propagate did — after checking them here (a configuration Heartbeat would refuse is never sent).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../core/diagnostic.js';
import { loadConfig } from '../daemon/load-config.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, type Io } from './hbctl-io.js';

export const PROPAGATE_USAGE = `Usage: hbctl propagate [--dry-run] [--config-dir DIR] [--node-name NAME] [--user USER]
                       [--ssh-config FILE] [-o SSH_OPTION]… [NODE…]

  Copies ha.cf, haresources, authkeys (its mode 0600 kept: scp -p) and monitors (when present) from the
  configuration directory to the same directory on each NODE (default: every other node ha.cf names) with
  scp, as Heartbeat's ha_propagate did. Refuses to copy anything when \`heartbeat --check-config\` would fail
  here. The nodes then run with the new files after a restart (or \`heartbeat -r\` for ha.cf's timing).

  --dry-run          print the commands, run nothing
  --config-dir DIR   the configuration directory, here and there (default /etc/ha.d)
  --node-name NAME   this node's name (default: DIR/nodeinfo, else uname -n)
  --user USER        log in as USER (default root)
  --ssh-config FILE  passed to scp as -F FILE (host names, ports, keys)
  -o SSH_OPTION      passed to scp as -o SSH_OPTION (repeatable)

  Exit status: 0 every node got the files, 1 refused (bad configuration) or a copy failed, 2 bad usage.
`;

/** The files ha_propagate copies, in this order; `monitors` only when it exists. */
const FILES = ['ha.cf', 'haresources', 'authkeys'] as const;
const OPTIONAL = ['monitors'] as const;
const COPY_TIMEOUT_MS = 60_000;

export interface PropagateOptions {
  readonly dryRun: boolean;
  readonly configDir: string;
  readonly nodeName: string | undefined;
  readonly user: string;
  readonly sshConfig: string | undefined;
  readonly sshOptions: readonly string[];
  readonly nodes: readonly string[];
}

export function parsePropagateArgs(argv: readonly string[]): PropagateOptions | { error: string } | 'help' {
  let dryRun = false;
  let configDir = '/etc/ha.d';
  let nodeName: string | undefined;
  let user = 'root';
  let sshConfig: string | undefined;
  const sshOptions: string[] = [];
  const nodes: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string | undefined => argv[++i];
    const need = (name: string): string | { error: string } => value() ?? { error: `${name} needs a value` };
    let v: string | { error: string };
    switch (a) {
      case '--help': case '-h': return 'help';
      case '--dry-run': dryRun = true; continue;
      case '--config-dir': v = need(a); if (typeof v !== 'string') return v; configDir = v; continue;
      case '--node-name': v = need(a); if (typeof v !== 'string') return v; nodeName = v.toLowerCase(); continue;
      case '--user': v = need(a); if (typeof v !== 'string') return v; user = v; continue;
      case '--ssh-config': v = need(a); if (typeof v !== 'string') return v; sshConfig = v; continue;
      case '-o': v = need(a); if (typeof v !== 'string') return v; sshOptions.push(v); continue;
      default:
        if (a.startsWith('-')) return { error: `unknown option ${a}` };
        if (!/^[a-z0-9][a-z0-9.-]*$/i.test(a)) return { error: `bad node name "${a}"` };
        nodes.push(a.toLowerCase());
    }
  }
  if (!/^[a-z_][a-z0-9_.-]*$/i.test(user)) return { error: `bad user name "${user}"` };
  return { dryRun, configDir, nodeName, user, sshConfig, sshOptions, nodes };
}

/** The scp command for one node (pure). `files`: absolute paths of what exists here. */
export function scpCommand(o: PropagateOptions, node: string, files: readonly string[]): string[] {
  const argv = ['scp', '-p', '-q', '-r', '-o', 'BatchMode=yes'];
  if (o.sshConfig !== undefined) argv.push('-F', o.sshConfig);
  for (const opt of o.sshOptions) argv.push('-o', opt);
  argv.push(...files, `${o.user}@${node}:${o.configDir.replace(/\/*$/, '')}/`);
  return argv;
}

export function runPropagate(argv: readonly string[], io: Io): number {
  const parsed = parsePropagateArgs(argv);
  if (parsed === 'help') {
    io.out(PROPAGATE_USAGE);
    return EXIT_OK;
  }
  if ('error' in parsed) {
    io.err(`hbctl propagate: ${parsed.error}\n\n${PROPAGATE_USAGE}`);
    return EXIT_USAGE;
  }
  const o = parsed;
  const loaded = loadConfig({ configDir: o.configDir, nodeName: o.nodeName });
  const diagnostics = sortDiagnostics(loaded.diagnostics);
  if (hasErrors(diagnostics) || loaded.config === undefined) {
    for (const d of diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    io.err(`hbctl propagate: refusing to propagate: the configuration in ${o.configDir} fails heartbeat --check-config\n`);
    return EXIT_FAIL;
  }
  const config = loaded.config;
  const others = config.nodes.filter((n) => n.type === 'normal' && n.name !== config.localNode).map((n) => n.name);
  for (const n of o.nodes) {
    if (n === config.localNode) {
      io.err(`hbctl propagate: ${n} is this node\n`);
      return EXIT_USAGE;
    }
    if (!others.includes(n)) {
      io.err(`hbctl propagate: ${n} is not a node in ${path.join(o.configDir, 'ha.cf')} (nodes: ${others.join(' ') || 'none other'})\n`);
      return EXIT_USAGE;
    }
  }
  const targets = o.nodes.length > 0 ? o.nodes : others;
  if (targets.length === 0) {
    io.err(`hbctl propagate: ha.cf names no other node\n`);
    return EXIT_USAGE;
  }
  const files = [...FILES, ...OPTIONAL.filter((f) => fs.existsSync(path.join(o.configDir, f)))].map((f) => path.join(o.configDir, f));
  let failed = 0;
  for (const node of targets) {
    const cmd = scpCommand(o, node, files);
    if (o.dryRun) {
      io.out(`${cmd.join(' ')}\n`);
      continue;
    }
    const r = spawnSync(cmd[0] ?? 'scp', cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: COPY_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' });
    if (r.status === 0) {
      io.out(`${node}: copied ${files.map((f) => path.basename(f)).join(', ')}\n`);
      continue;
    }
    failed++;
    const why = r.error !== undefined ? r.error.message : r.signal !== null ? `killed by ${r.signal} (timeout ${COPY_TIMEOUT_MS / 1000} s)` : `exit ${r.status ?? '?'}`;
    io.err(`hbctl propagate: ${node}: scp failed (${why}): ${(r.stderr ?? '').trim()}\n`);
  }
  return failed === 0 ? EXIT_OK : EXIT_FAIL;
}
