// The dependency rules of ../STYLE (folder = concern): pure folders never touch sockets, files or processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

const PURE_FOLDERS = ['core', 'config', 'wire', 'membership', 'resources', 'ipfail', 'linktest', 'pacemaker'];
const EFFECT_MODULES = /^(node:)?(dgram|net|fs|fs\/promises|child_process|worker_threads|cluster|http|https|os)$/;

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) specs.push(m[1] ?? '');
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specs.push(m[1] ?? '');
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1] ?? '');
  return specs;
}

test('pure folders import no node:dgram, net, fs, child_process (or other effects)', () => {
  const offences: string[] = [];
  for (const folder of PURE_FOLDERS) {
    for (const file of tsFiles(path.join(repoRoot, 'src', folder))) {
      for (const spec of importsOf(file)) {
        if (EFFECT_MODULES.test(spec)) offences.push(`${path.relative(repoRoot, file)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(offences, []);
});

test('pure folders do not import from the effectful folders', () => {
  const effectful = ['daemon', 'cli', 'media', 'api'];
  const offences: string[] = [];
  for (const folder of PURE_FOLDERS) {
    for (const file of tsFiles(path.join(repoRoot, 'src', folder))) {
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        const rel = path.relative(path.join(repoRoot, 'src'), target).split(path.sep)[0] ?? '';
        if (effectful.includes(rel)) offences.push(`${path.relative(repoRoot, file)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(offences, []);
});

test('the import scanner sees imports (guards the two tests above against passing vacuously)', () => {
  const files = tsFiles(path.join(repoRoot, 'src', 'core'));
  assert.ok(files.length > 0);
  const self = importsOf(path.join(repoRoot, 'test', 'unit', 'architecture.test.ts'));
  assert.ok(self.includes('node:fs') && self.includes('../helpers/paths.js'));
});
