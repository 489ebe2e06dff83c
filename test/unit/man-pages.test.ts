// Every command of package.json has a complete man page in packaging/man: not a .so stub, the usual sections,
// and every long option its --help names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const manDir = path.join(repoRoot, 'packaging', 'man');
const SECTIONS = ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'EXIT STATUS', 'SEE ALSO'];

/** The page of a command: NAME.1 or NAME.8. */
function pageOf(command: string): string | undefined {
  return fs.readdirSync(manDir).find((f) => f === `${command}.1` || f === `${command}.8`);
}

/** The long options a --help text names (hbctl: with its subcommands' help too). */
function helpOptions(command: string, file: string): Set<string> {
  const runs = command === 'hbctl' ? [['--help'], ['status', '--help'], ['wire', '--help'], ['test-links', '--help'], ['to-pacemaker', '--help'], ['propagate', '--help'], ['cleanup', '--help']] : [['--help']];
  const out = runs.map((args) => {
    const r = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 10_000 });
    return `${r.stdout}${r.stderr}`;
  });
  return new Set(out.join('\n').match(/--[a-z][a-z-]+/g) ?? []);
}

for (const [command, rel] of Object.entries(pkg.bin)) {
  test(`man page of ${command}: complete`, () => {
    const page = pageOf(command);
    assert.ok(page !== undefined, `packaging/man has no ${command}.1 or ${command}.8`);
    const text = fs.readFileSync(path.join(manDir, page), 'utf8');
    assert.doesNotMatch(text, /^\.so /m, `${page} is a .so stub`);
    for (const s of SECTIONS) assert.match(text, new RegExp(`^\\.SH "?${s}"?$`, 'm'), `${page} lacks .SH ${s}`);
    const name = text.split(/^\.SH "?NAME"?$/m)[1]?.split('\n')[1] ?? '';
    assert.ok(name.startsWith(`${command.replace(/_/g, '_')} \\-`) || name.startsWith(`${command},`), `${page} NAME line: ${name}`);
    const plain = text.replace(/\\-/g, '-');
    const missing = [...helpOptions(command, path.join(repoRoot, rel))].filter((o) => o !== '--help' && o !== '--version' && !plain.includes(o));
    assert.deepEqual(missing, [], `${page} does not mention options its --help names`);
    for (const m of text.matchAll(/^\.BR ([a-z_]+) \((\d)\)/gm)) {
      assert.ok(fs.existsSync(path.join(manDir, `${m[1]}.${m[2]}`)), `${page} refers to ${m[1]}(${m[2]}), which packaging/man lacks`);
    }
  });
}
