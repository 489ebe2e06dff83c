// The docs keep their promises: the directive table in docs/compatibility.md is the one in
// src/config/directives.ts, row for row; the README stays a five-minute read; every relative link resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DIRECTIVE_SUPPORT } from '../../src/config/directives.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * Docs other branches write (issue 23 links them from the README; the lead merges them). Empty this list once
 * they are merged: the link test below then requires them like any other target.
 */
const WRITTEN_ELSEWHERE: string[] = [];

test('docs/compatibility.md directive table = DIRECTIVE_SUPPORT', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'compatibility.md'), 'utf8');
  const block = doc.split('<!-- directive-table:start -->')[1]?.split('<!-- directive-table:end -->')[0];
  assert.ok(block !== undefined, 'docs/compatibility.md lacks the directive-table markers');
  const rows = block.trim().split('\n').slice(2);
  assert.deepEqual(rows, DIRECTIVE_SUPPORT.map((d) => `| \`${d.directive}\` | ${d.support} | ${d.note} |`));
});

test('README.md is at most 12 KB and has no directive table of its own', () => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'));
  assert.ok(readme.length <= 12 * 1024, `README.md is ${readme.length} bytes: move detail to docs/`);
  assert.ok(!readme.includes('<!-- directive-table:start -->'), 'the directive table lives in docs/compatibility.md');
});

/** GitHub's anchors for the headings of a Markdown file: lower-cased, punctuation dropped, blanks → "-". */
function anchorsOf(rel: string): Set<string> {
  const text = fs.readFileSync(path.join(repoRoot, rel), 'utf8');
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => (m[1] ?? '').trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')),
  );
}

test('every relative link of README.md and docs/*.md points at a file or folder of the repository, and at a heading that exists', () => {
  const files = ['README.md', ...fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
      const rel = path.normalize(path.join(path.dirname(file), target.split('#')[0] ?? ''));
      if (WRITTEN_ELSEWHERE.includes(rel)) continue;
      if (!fs.existsSync(path.join(repoRoot, rel))) broken.push(`${file}: ${target}`);
      else if (target.includes('#') && rel.endsWith('.md') && !anchorsOf(rel).has(target.split('#')[1] ?? '')) broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});
