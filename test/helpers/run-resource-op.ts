// Runs one resource-runner operation inside a lab node: `node run-resource-op.js CONFIG_DIR acquire|release|clean-start`.
// The groups are read from CONFIG_DIR/haresources (local node alpha); every log line goes to stdout as "LEVEL text";
// exit 0 when the operation succeeded. Used by the netns tests that need the daemon's script runner, not a daemon.
import fs from 'node:fs';
import path from 'node:path';
import { parseHaresources } from '../../src/config/haresources.js';
import { ResourceRunner } from '../../src/daemon/scripts/resource-runner.js';

async function main(): Promise<number> {
  const [configDir, op] = process.argv.slice(2);
  if (configDir === undefined || (op !== 'acquire' && op !== 'release' && op !== 'clean-start')) {
    process.stderr.write('usage: run-resource-op.js CONFIG_DIR acquire|release|clean-start\n');
    return 2;
  }
  const text = fs.readFileSync(path.join(configDir, 'haresources'), 'latin1');
  const parsed = parseHaresources(text, 'haresources', (n) => (n === 'alpha' || n === 'bravo' ? 'normal' : undefined));
  const runner = new ResourceRunner({
    configDir,
    localNode: 'alpha',
    groups: [...parsed.groups],
    env: process.env,
    log: (level, line) => void process.stdout.write(`${level} ${line}\n`),
    timeoutMs: 20_000,
    failedStopArgv: ['/bin/false'],
  });
  if (op === 'clean-start') return (await runner.cleanStart()) === 0 ? 0 : 1;
  return (await (op === 'acquire' ? runner.acquire('local') : runner.release('local'))) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`run-resource-op: ${String(e)}\n`);
    process.exit(1);
  },
);
