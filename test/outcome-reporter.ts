// A node:test reporter that writes one JSON line per test that did not pass plainly: skipped, todo, or failed
// (file, name, reason), for test/run-tests.ts. A CI run that skips anything fails; every run ends with one summary
// of what skipped and what failed, so the last screen of a long run names the failing tests and their first error
// line without scrolling back through the TAP stream.
import type { TestEvent } from 'node:test/reporters';

/** The first line of what a failed test threw, without the wrapper node:test puts around it. */
function firstErrorLine(error: unknown): string {
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const text = cause instanceof Error ? cause.message : String(cause);
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export default async function* outcomeReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string, void> {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, todo, name, file, details } = event.data as {
      skip?: string | boolean;
      todo?: string | boolean;
      name: string;
      file?: string;
      details?: { error?: unknown };
    };
    if (skip !== undefined && skip !== false) yield `${JSON.stringify({ kind: 'skip', file: file ?? '', name, reason: skip === true ? '' : skip })}\n`;
    else if (todo !== undefined && todo !== false) yield `${JSON.stringify({ kind: 'todo', file: file ?? '', name, reason: todo === true ? '' : todo })}\n`;
    else if (event.type === 'test:fail') {
      const error = details?.error as { failureType?: string } | undefined;
      // A parent that failed only because a subtest did is not listed again: the subtest is.
      if (error?.failureType === 'subtestsFailed') continue;
      yield `${JSON.stringify({ kind: 'fail', file: file ?? '', name, reason: firstErrorLine(error) })}\n`;
    }
  }
}
