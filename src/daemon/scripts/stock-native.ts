// The native stand-ins for Debian's stock IPaddr/IPaddr2: hashes the files behind a resolved script, once per file version.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../../core/diagnostic.js';
import type { ResourceGroup } from '../../config/model.js';
import {
  HTO_MAPFUNCS_PATH,
  OCF_AGENT_DIR,
  initVerdictText,
  isStockAgentName,
  judgeStockAgent,
  judgeStockInit,
  STOCK_INIT_SCRIPTS,
  nativeEnabled,
  stockVerdictText,
  type StockAgentFiles,
  type StockAgentName,
  type StockVerdict,
} from '../../resources/stock-agents.js';

export interface StockCheck {
  readonly name: StockAgentName;
  readonly files: StockAgentFiles;
  readonly verdict: StockVerdict;
  /** What to say about it (once). */
  readonly text: string;
}

function digest(file: string): string | undefined {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/** What the stock files behind `scriptPath` (a resolved IPaddr/IPaddr2 outside `shippedDir`) are; undefined if not such a script. */
export function checkStockScript(scriptName: string, scriptPath: string, shippedDir: string): StockCheck | undefined {
  if (!isStockAgentName(scriptName)) return undefined;
  if (path.dirname(path.resolve(scriptPath)) === path.resolve(shippedDir)) return undefined; // ours already
  const files: StockAgentFiles = { wrapper: scriptPath, mapfuncs: HTO_MAPFUNCS_PATH, agent: path.join(OCF_AGENT_DIR, scriptName) };
  const verdict = judgeStockAgent(scriptName, { wrapper: digest(files.wrapper), mapfuncs: digest(files.mapfuncs), agent: digest(files.agent) });
  return { name: scriptName, files, verdict, text: stockVerdictText(scriptName, scriptPath, verdict, files) };
}

function versionKey(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const st = fs.statSync(f);
        return `${f}:${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch {
        return `${f}:-`;
      }
    })
    .join('|');
}

/**
 * Used by the resource runner: which program runs an operation. A stock script (all three files unmodified)
 * is replaced by resource.d/<name> from `shippedDir` with HBTS_STOCK_AGENT=<name>; its verdict is logged once
 * per file version (a changed file is hashed again).
 */
export class StockNative {
  private readonly seen = new Map<string, { readonly key: string; readonly check: StockCheck | undefined }>();
  private readonly enabled: boolean;

  constructor(
    private readonly shippedDir: string,
    env: NodeJS.ProcessEnv,
    private readonly log: (level: 'info' | 'warn', text: string) => void,
  ) {
    this.enabled = nativeEnabled(env['HBTS_NATIVE']);
    this.confdir = (env['APACHE_CONFDIR'] ?? '') !== '';
  }

  private readonly confdir: boolean;

  /** The program and extra environment for a resolved script; undefined: run it as written. */
  substitute(scriptName: string, scriptPath: string, args: readonly string[] = []): { readonly file: string; readonly env: Readonly<Record<string, string>> } | undefined {
    if (!this.enabled) return undefined;
    if (STOCK_INIT_SCRIPTS.has(scriptName)) return this.substituteInit(scriptName, scriptPath, args);
    if (!isStockAgentName(scriptName)) return undefined;
    const key = versionKey([scriptPath, HTO_MAPFUNCS_PATH, path.join(OCF_AGENT_DIR, scriptName)]);
    let entry = this.seen.get(scriptPath);
    if (entry === undefined || entry.key !== key) {
      const check = checkStockScript(scriptName, scriptPath, this.shippedDir);
      entry = { key, check };
      this.seen.set(scriptPath, entry);
      if (check !== undefined) this.log(check.verdict.kind === 'native' ? 'info' : 'warn', check.text);
    }
    if (entry.check?.verdict.kind !== 'native') return undefined;
    return { file: path.join(this.shippedDir, scriptName), env: { HBTS_STOCK_AGENT: scriptName } };
  }

  private readonly initSeen = new Map<string, { readonly key: string; readonly native: string | undefined }>();

  private substituteInit(scriptName: string, scriptPath: string, args: readonly string[]): { readonly file: string; readonly env: Readonly<Record<string, string>> } | undefined {
    if (path.dirname(path.resolve(scriptPath)) === path.resolve(this.shippedDir)) return undefined;
    const systemd = fs.existsSync('/run/systemd/system');
    const key = `${versionKey([scriptPath])}|${args.length}|${systemd}|${this.confdir}`;
    let entry = this.initSeen.get(scriptPath);
    if (entry === undefined || entry.key !== key) {
      const v = judgeStockInit(scriptName, digest(scriptPath), { args: args.length, systemd, confdir: this.confdir });
      entry = { key, native: v?.kind === 'native' ? v.native : undefined };
      this.initSeen.set(scriptPath, entry);
      if (v !== undefined) this.log(v.kind === 'native' ? 'info' : 'warn', initVerdictText(scriptName, scriptPath, v));
    }
    return entry.native === undefined ? undefined : { file: path.join(this.shippedDir, entry.native), env: {} };
  }
}

/**
 * `--check-config`'s notes on the address scripts: which haresources resources resolve to Debian's stock
 * IPaddr/IPaddr2 and run natively (info HA_RES_NATIVE_STOCK), which are modified copies run as written
 * (HA_RES_STOCK_MODIFIED), or that HBTS_NATIVE=off keeps them all as written (HA_RES_NATIVE_OFF). One note per
 * script path, at the first haresources line that uses it.
 */
export function stockScriptDiagnostics(
  groups: readonly ResourceGroup[],
  haresourcesPath: string,
  resolve: (script: string) => string | undefined,
  shippedDir: string,
  env: NodeJS.ProcessEnv,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const done = new Set<string>();
  const on = nativeEnabled(env['HBTS_NATIVE']);
  for (const g of groups) {
    for (const r of g.resources) {
      const file = resolve(r.script);
      if (file === undefined || done.has(file)) continue;
      if (STOCK_INIT_SCRIPTS.has(r.script) && path.dirname(path.resolve(file)) !== path.resolve(shippedDir)) {
        const v = judgeStockInit(r.script, digest(file), { args: r.args.length, systemd: fs.existsSync('/run/systemd/system'), confdir: (env['APACHE_CONFDIR'] ?? '') !== '' });
        if (v === undefined) continue;
        done.add(file);
        const at = { file: haresourcesPath, line: g.line, column: 0 };
        if (v.kind === 'native' && !on) out.push({ ...at, severity: 'info', code: 'HA_RES_NATIVE_OFF', message: `${file}: Debian's stock ${r.script} init script, run as written (HBTS_NATIVE=off)` });
        else out.push({ ...at, severity: 'info', code: v.kind === 'native' ? 'HA_RES_NATIVE_STOCK' : 'HA_RES_STOCK_MODIFIED', message: initVerdictText(r.script, file, v) });
        continue;
      }
      const check = checkStockScript(r.script, file, shippedDir);
      if (check === undefined) continue;
      done.add(file);
      const at = { file: haresourcesPath, line: g.line, column: 0 };
      if (check.verdict.kind === 'native' && !on) {
        out.push({ ...at, severity: 'info', code: 'HA_RES_NATIVE_OFF', message: `${file}: Debian's stock ${r.script}, run as written (HBTS_NATIVE=off)` });
      } else {
        out.push({ ...at, severity: 'info', code: check.verdict.kind === 'native' ? 'HA_RES_NATIVE_STOCK' : 'HA_RES_STOCK_MODIFIED', message: check.text });
      }
    }
  }
  return out;
}
