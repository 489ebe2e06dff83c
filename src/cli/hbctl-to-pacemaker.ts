// `hbctl to-pacemaker`: converts /etc/ha.d into corosync.conf, a CIB, crmsh and pcs scripts and NOTES.txt.
// The conversion is src/pacemaker (pure); this file reads the files, asks the host what exists and writes
// the output directory atomically (a temporary directory beside it, then one rename).
import fs from 'node:fs';
import path from 'node:path';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../core/diagnostic.js';
import { defaultNodeName, readFile, realHostFacts } from '../daemon/load-config.js';
import type { ScriptFacts } from '../pacemaker/agents.js';
import { convert, OUTPUT_FORMATS, type OutputFormat } from '../pacemaker/convert.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, type Io } from './hbctl-io.js';
import { parseArgs } from './options.js';

export const TO_PACEMAKER_USAGE = `Usage: hbctl to-pacemaker [--config-dir DIR] [--out DIR] [--format cib|crmsh|pcs|all]
                          [--addresses NODE=ADDR[/ADDR…],…] [--node-name NAME]

Converts a Heartbeat haresources (v1) configuration — ha.cf, haresources, authkeys, and monitors when present —
into a Corosync + Pacemaker one, written into --out (default ./pacemaker) all at once, or not at all:
  corosync.conf  nodes, one knet link per heartbeat network, two_node for a pair, token/consensus from deadtime
  cib.xml        the complete CIB (cibadmin --replace --xml-file cib.xml)      --format cib
  crm.txt        the same for crmsh (crm configure load update crm.txt)         --format crmsh
  pcs.sh         the same as pcs commands (sh pcs.sh)                            --format pcs
  NOTES.txt      warnings, what has no equivalent and what to do instead, the migration runbook
(default --format all: all three.) Input that heartbeat --check-config refuses is reported the same way, exit 1.

  --config-dir DIR  the Heartbeat configuration (default /etc/ha.d)
  --out DIR         the output directory (replaced as a whole if it exists)
  --addresses LIST  each node's address on each corosync link, e.g. alpha=198.51.100.11,bravo=198.51.100.12
                    (several links: alpha=198.51.100.11/203.0.113.11). Default: link 0 names the nodes
                    (corosync resolves them), other links get placeholders
  --node-name NAME  the node whose view of ha.cf is checked (default: nodeinfo, else uname -n)
  --help            this text

Exit status: 0 written, 1 the configuration has errors, 2 bad usage or the output cannot be written.
`;

const SPEC = { shortFlags: 'h', shortWithValue: '', longFlags: ['help'], longWithValue: ['out', 'format', 'addresses'] } as const;
const SYSTEMD_DIRS = ['/etc/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];

function exists(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

export function realScriptFacts(configDir: string): ScriptFacts {
  return {
    inResourceD: (name) => exists(path.join(configDir, 'resource.d', name)),
    inInitD: (name) => exists(path.join('/etc/init.d', name)),
    hasSystemdUnit: (name) => SYSTEMD_DIRS.some((d) => exists(path.join(d, `${name}.service`))),
  };
}

/** "alpha=198.51.100.11/203.0.113.11,bravo=…" → alpha → [198.51.100.11, 203.0.113.11]. */
export function parseAddresses(text: string): Map<string, string[]> | string {
  const out = new Map<string, string[]>();
  for (const item of text.split(',').filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    const node = item.slice(0, eq).toLowerCase();
    const addrs = item.slice(eq + 1).split('/');
    if (eq <= 0 || addrs.some((a) => !/^[0-9A-Za-z.:-]+$/.test(a))) return `--addresses: "${item}" is not NODE=ADDRESS[/ADDRESS…]`;
    out.set(node, addrs);
  }
  return out;
}

/** Writes files into a new directory beside `out`, then puts it in place of `out` with renames. */
export function writeAtomically(out: string, files: readonly (readonly [string, string])[]): void {
  const parent = path.dirname(path.resolve(out));
  const base = path.basename(path.resolve(out));
  const tmp = fs.mkdtempSync(path.join(parent, `.${base}.tmp-`));
  try {
    for (const [name, text] of files) {
      const fd = fs.openSync(path.join(tmp, name), 'wx', name.endsWith('.sh') ? 0o755 : 0o644);
      try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    fs.chmodSync(tmp, 0o755);
    let old: string | undefined;
    if (fs.existsSync(out)) {
      if (!fs.statSync(out).isDirectory()) throw new Error(`${out} exists and is not a directory`);
      old = `${tmp}.old`;
      fs.renameSync(out, old);
    }
    try {
      fs.renameSync(tmp, out);
    } catch (e) {
      if (old !== undefined) fs.renameSync(old, out); // the previous output back in place
      throw e;
    }
    if (old !== undefined) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

export function runToPacemaker(argv: readonly string[], io: Io): number {
  const parsed = parseArgs(argv, SPEC);
  const usage = (why: string): number => {
    io.err(`hbctl to-pacemaker: ${why}\n\n${TO_PACEMAKER_USAGE}`);
    return EXIT_USAGE;
  };
  if (!parsed.ok) return usage(parsed.error);
  const args = parsed.value;
  if (args.long.has('help') || (args.short.get('h') ?? 0) > 0) {
    io.out(TO_PACEMAKER_USAGE);
    return EXIT_OK;
  }
  if (args.operands.length > 0) return usage(`unexpected argument "${args.operands[0]}"`);
  const format = args.longValues.get('format') ?? 'all';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) return usage(`--format wants cib, crmsh, pcs or all, not "${format}"`);
  const addresses = parseAddresses(args.longValues.get('addresses') ?? '');
  if (typeof addresses === 'string') return usage(addresses);
  const configDir = args.common.configDir;
  const out = args.longValues.get('out') ?? 'pacemaker';
  const file = (name: string): string => path.join(configDir, name);
  const monitorsPath = file('monitors');
  const result = convert({
    files: { haCf: readFile(file('ha.cf')), haresources: readFile(file('haresources')), authkeys: readFile(file('authkeys')) },
    monitors: exists(monitorsPath) ? readFile(monitorsPath) : undefined,
    nodeName: (args.common.nodeName ?? defaultNodeName(configDir)).toLowerCase(),
    host: realHostFacts(),
    scripts: realScriptFacts(configDir),
    addresses,
    format: format as OutputFormat,
    source: configDir,
  });
  const diagnostics = sortDiagnostics(result.diagnostics);
  if (hasErrors(diagnostics)) {
    for (const d of diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    io.err(`hbctl to-pacemaker: configuration error in ${configDir}: ${errors} error${errors === 1 ? '' : 's'}; nothing written (heartbeat --check-config shows the same)\n`);
    return EXIT_FAIL;
  }
  // The monitors file's warnings come again among result.warnings (they are in NOTES.txt too).
  for (const d of diagnostics) if (d.severity !== 'info' && !d.code.startsWith('PCMK_MONITORS')) io.err(`${formatDiagnostic(d)}\n`);
  try {
    writeAtomically(out, result.files);
  } catch (e) {
    io.err(`hbctl to-pacemaker: cannot write ${out}: ${e instanceof Error ? e.message : String(e)}; nothing written\n`);
    return EXIT_USAGE;
  }
  for (const w of result.warnings) io.err(`hbctl to-pacemaker: warning: ${w}\n`);
  io.out(`hbctl to-pacemaker: wrote ${result.files.map(([n]) => path.join(out, n)).join(', ')}; read NOTES.txt first\n`);
  return EXIT_OK;
}
