// The dependency rules of ../STYLE (folder = concern): the layer order, pure folders without effects, no import cycles.
/*
 *   core  ←  config, wire  ←  membership, resources, ipfail, linktest  ←  media, api, logging  ←  daemon  ←  cli
 *                                                                   ↖  node (pure)  ↙
 *
 * A folder imports only folders of a lower layer (and itself). `node/` (the coordinator) sits between the pure
 * cores and the daemon: it is pure itself, and of `api/` it may import only the files that are pure (the protocol
 * and handler, not the client or the server).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

const LAYER: Readonly<Record<string, number>> = {
  core: 0,
  config: 1,
  wire: 1,
  membership: 2,
  resources: 2,
  ipfail: 2,
  linktest: 2,
  pacemaker: 2,
  media: 3,
  api: 3,
  logging: 3,
  node: 3.5,
  daemon: 4,
  cli: 5,
};
/** node/ sits above media/, api/ and logging/ in the order, but being pure it may use only these (api/: its pure files). */
const NODE_MAY_IMPORT = ['core', 'config', 'wire', 'membership', 'resources', 'ipfail', 'linktest', 'api'];
const PURE_FOLDERS = ['core', 'config', 'wire', 'membership', 'resources', 'ipfail', 'linktest', 'pacemaker', 'node'];
const EFFECT_MODULES = /^(node:)?(dgram|net|fs|fs\/promises|child_process|worker_threads|cluster|http|https|os)$/;

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function importsOfText(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) specs.push(m[1] ?? '');
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.push(m[1] ?? '');
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1] ?? '');
  return specs;
}

function importsOf(file: string): string[] {
  return importsOfText(fs.readFileSync(file, 'utf8'));
}

/** A source file as the rules see it: its path under src/ ('daemon/daemon.ts') and its import specifiers. */
interface SourceFile {
  readonly rel: string;
  readonly imports: readonly string[];
}

function srcFiles(): SourceFile[] {
  const src = path.join(repoRoot, 'src');
  return tsFiles(src).map((f) => ({ rel: path.relative(src, f).split(path.sep).join('/'), imports: importsOf(f) }));
}

/** 'membership/core.ts' importing '../wire/index.js' → 'wire/index.ts'; undefined for packages and node: modules. */
function resolveRel(fromRel: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec)).replace(/\.js$/, '.ts');
}

const folderOf = (rel: string): string => rel.split('/')[0] ?? '';

/** Every broken rule, one line each. */
function violations(files: readonly SourceFile[]): string[] {
  const out: string[] = [];
  const byRel = new Map(files.map((f) => [f.rel, f] as const));
  const pureApi = (rel: string): boolean => (byRel.get(rel)?.imports ?? []).every((s) => !EFFECT_MODULES.test(s));
  for (const f of files) {
    const from = folderOf(f.rel);
    const layer = LAYER[from];
    if (layer === undefined) {
      out.push(`${f.rel}: folder ${from}/ has no layer (add it to LAYER in architecture.test.ts)`);
      continue;
    }
    for (const spec of f.imports) {
      if (PURE_FOLDERS.includes(from) && EFFECT_MODULES.test(spec)) out.push(`${f.rel} imports ${spec} (an effect, in a pure folder)`);
      const target = resolveRel(f.rel, spec);
      if (target === undefined) continue;
      const to = folderOf(target);
      if (to === from) continue;
      const toLayer = LAYER[to];
      if (toLayer === undefined || toLayer >= layer) {
        out.push(`${f.rel} imports ${spec} (${to}/ is not below ${from}/)`);
        continue;
      }
      if (from === 'node' && !NODE_MAY_IMPORT.includes(to)) out.push(`${f.rel} imports ${spec} (node/ is pure: no ${to}/)`);
      else if (from === 'node' && to === 'api' && !pureApi(target)) out.push(`${f.rel} imports ${spec} (node/ may import only pure api/ files)`);
    }
  }
  return out;
}

/** Import cycles among the files, as 'a.ts → b.ts → a.ts' (one per back edge of a depth-first walk). */
function cycles(files: readonly SourceFile[]): string[] {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const targets = f.imports.map((s) => resolveRel(f.rel, s)).filter((t): t is string => t !== undefined);
    graph.set(f.rel, targets);
  }
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue;
      const s = state.get(m);
      if (s === 'open') found.push([...stack.slice(stack.indexOf(m)), m].join(' → '));
      else if (s === undefined) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

test('every folder imports only folders of a lower layer; pure folders import no effects', () => {
  assert.deepEqual(violations(srcFiles()), []);
});

test('no import cycles among the source files', () => {
  assert.deepEqual(cycles(srcFiles()), []);
});

test('the rules catch what they are meant to (guards the tests above against passing vacuously)', () => {
  const files: SourceFile[] = [
    { rel: 'node/step.ts', imports: ['../membership/core.js', '../api/handler.js', '../api/client.js', '../daemon/daemon.js', '../media/udp-media.js', '../logging/logger.js', 'node:fs'] },
    { rel: 'api/handler.ts', imports: ['../wire/message.js'] },
    { rel: 'api/client.ts', imports: ['node:net'] },
    { rel: 'membership/core.ts', imports: ['../resources/protocol.js'] },
    { rel: 'wire/a.ts', imports: ['./b.js'] },
    { rel: 'wire/b.ts', imports: ['./c.js'] },
    { rel: 'wire/c.ts', imports: ['./a.js'] },
    { rel: 'daemon/daemon.ts', imports: ['../node/step.js', '../media/udp-media.js'] },
    { rel: 'extra/x.ts', imports: [] },
  ];
  assert.deepEqual(violations(files).sort(), [
    'extra/x.ts: folder extra/ has no layer (add it to LAYER in architecture.test.ts)',
    'membership/core.ts imports ../resources/protocol.js (resources/ is not below membership/)',
    'node/step.ts imports ../api/client.js (node/ may import only pure api/ files)',
    'node/step.ts imports ../daemon/daemon.js (daemon/ is not below node/)',
    'node/step.ts imports ../logging/logger.js (node/ is pure: no logging/)',
    'node/step.ts imports ../media/udp-media.js (node/ is pure: no media/)',
    'node/step.ts imports node:fs (an effect, in a pure folder)',
  ]);
  assert.deepEqual(cycles(files), ['daemon/daemon.ts → node/step.ts → daemon/daemon.ts', 'wire/a.ts → wire/b.ts → wire/c.ts → wire/a.ts']);
  // The real tree is seen: the scanner finds files and imports in it.
  const real = srcFiles();
  assert.ok(real.length > 50 && real.some((f) => f.rel === 'daemon/daemon.ts' && f.imports.some((s) => s.startsWith('../membership/'))));
  assert.ok(importsOf(path.join(repoRoot, 'test', 'unit', 'architecture.test.ts')).includes('../helpers/paths.js'));
});
