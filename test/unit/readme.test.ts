// The README's compatibility table is the one in src/config/directives.ts, row for row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DIRECTIVE_SUPPORT } from '../../src/config/directives.js';
import { repoRoot } from '../helpers/paths.js';

test('README directive table = DIRECTIVE_SUPPORT', () => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = readme.split('<!-- directive-table:start -->')[1]?.split('<!-- directive-table:end -->')[0];
  assert.ok(block !== undefined, 'README.md lacks the directive-table markers');
  const rows = block.trim().split('\n').slice(2);
  assert.deepEqual(rows, DIRECTIVE_SUPPORT.map((d) => `| \`${d.directive}\` | ${d.support} | ${d.note} |`));
});
