// A node:test reporter that writes one JSON line per skipped or todo test (file, name, reason), for
// test/run-tests.ts: a CI run that skips anything fails, and a local run ends with one summary of what it skipped.
import type { TestEvent } from 'node:test/reporters';

export default async function* skipReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string, void> {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, todo, name, file } = event.data as { skip?: string | boolean; todo?: string | boolean; name: string; file?: string };
    if (skip !== undefined && skip !== false) yield `${JSON.stringify({ kind: 'skip', file: file ?? '', name, reason: skip === true ? '' : skip })}\n`;
    else if (todo !== undefined && todo !== false) yield `${JSON.stringify({ kind: 'todo', file: file ?? '', name, reason: todo === true ? '' : todo })}\n`;
  }
}
