// The table of one script operation (src/daemon/scripts/operation-machine.ts): every path to `done`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialOperation, stepOperation, type OperationCommand, type OperationInput, type OperationState } from '../../src/daemon/scripts/operation-machine.js';

/** Feeds inputs in order; check-group is answered with `alive` (in order), as the runner answers it at once. */
function run(inputs: readonly OperationInput[], alive: boolean[] = []): { state: OperationState; commands: OperationCommand['kind'][] } {
  let state = initialOperation(2);
  const commands: OperationCommand['kind'][] = [];
  const feed = (i: OperationInput): void => {
    const r = stepOperation(state, i);
    state = r.state;
    for (const c of r.commands) {
      commands.push(c.kind === 'arm' ? (`arm ${c.timer}` as OperationCommand['kind']) : c.kind);
      if (c.kind === 'check-group') feed({ kind: 'group', alive: alive.shift() ?? false });
    }
  };
  for (const i of inputs) feed(i);
  return { state, commands };
}

const timer = (t: 'timeout' | 'grace' | 'drain' | 'kill-wait' | 'poll'): OperationInput => ({ kind: 'timer', timer: t });

test('a script that exits and closes its pipes is done', () => {
  const r = run([{ kind: 'pipe-closed' }, { kind: 'exit' }, { kind: 'pipe-closed' }]);
  assert.equal(r.state.phase, 'done');
  assert.deepEqual(r.commands, ['arm drain', 'finish']);
});

test('a script whose pipes stay open (a daemon it started) is done when the drain time has passed', () => {
  const r = run([{ kind: 'exit' }, timer('drain')]);
  assert.equal(r.state.phase, 'done');
  assert.deepEqual(r.commands, ['arm drain', 'finish']);
});

test('the timeout after the script exited is ignored', () => {
  const r = run([{ kind: 'exit' }, timer('timeout')]);
  assert.equal(r.state.phase, 'running');
  assert.deepEqual(r.commands, ['arm drain']);
});

test('timed out: TERM, and done once the pipes are closed and the group is gone', () => {
  const r = run([timer('timeout'), { kind: 'exit' }, { kind: 'pipe-closed' }, { kind: 'pipe-closed' }], [true]);
  assert.equal(r.state.phase, 'terminating');
  assert.deepEqual(r.commands, ['term', 'arm grace', 'check-group', 'arm poll']);
  const after = stepOperation(r.state, timer('poll'));
  assert.deepEqual(after.commands, [{ kind: 'check-group' }]);
  assert.equal(stepOperation(after.state, { kind: 'group', alive: false }).state.phase, 'done');
});

test('timed out and deaf to TERM: KILL after the grace; still there after the kill wait: give up', () => {
  const r = run([timer('timeout'), timer('grace'), timer('kill-wait')]);
  assert.equal(r.state.phase, 'done');
  assert.deepEqual(r.commands, ['term', 'arm grace', 'kill-if-alive', 'arm kill-wait', 'give-up', 'finish']);
});

test('a spawn that failed is done at once, and nothing happens after done', () => {
  const r = run([{ kind: 'spawn-failed' }, { kind: 'exit' }, timer('timeout')]);
  assert.equal(r.state.phase, 'done');
  assert.deepEqual(r.commands, ['finish']);
});
