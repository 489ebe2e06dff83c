// One script operation's life as a table: running → (timed out) terminating → killing → done. Pure; script-runner.ts feeds it.
/*
 *   phase        input                 next         commands
 *   -----------  --------------------  -----------  ------------------------------------------------------
 *   running      exit                  running      arm drain (if a pipe is still open); settle
 *   running      pipe-closed           running      settle
 *   running      timer timeout         terminating  term (unless the script has exited: then nothing); settle; arm grace
 *   running      timer drain           running      drain expired; settle
 *   terminating  timer grace           killing      kill-if-alive; settle; arm kill-wait
 *   killing      timer kill-wait       done         give-up; finish
 *   terminating  exit, pipe-closed     (same)       settle
 *   killing        "                     "            "
 *   any          timer poll            (same)       check-group
 *   any          group alive           (same)       arm poll
 *   any          group gone            done         finish
 *   any          spawn-failed          done         finish
 *
 * settle: nothing before the script exits. Running: over when both pipes are closed, or when the drain time
 * after the exit has passed (something it left behind holds them). Timed out: over when the whole process
 * group is gone — checked once the pipes are closed, then every poll interval (check-group).
 */

export type OperationPhase = 'running' | 'terminating' | 'killing' | 'done';
export type OperationTimer = 'timeout' | 'grace' | 'drain' | 'kill-wait' | 'poll';

export interface OperationState {
  readonly phase: OperationPhase;
  readonly exited: boolean;
  readonly openPipes: number;
  readonly drainExpired: boolean;
  /** The group's liveness is being polled (timed out, pipes closed). */
  readonly polling: boolean;
}

export type OperationInput =
  | { readonly kind: 'exit' }
  | { readonly kind: 'pipe-closed' }
  | { readonly kind: 'timer'; readonly timer: OperationTimer }
  | { readonly kind: 'group'; readonly alive: boolean }
  | { readonly kind: 'spawn-failed' };

export type OperationCommand =
  | { readonly kind: 'arm'; readonly timer: OperationTimer }
  /** SIGTERM to the process group, logged. */
  | { readonly kind: 'term' }
  /** SIGKILL to the process group if anything in it is alive, logged. */
  | { readonly kind: 'kill-if-alive' }
  /** Look whether the process group is still alive; answer with a `group` input. */
  | { readonly kind: 'check-group' }
  /** Log that the group outlived SIGKILL. */
  | { readonly kind: 'give-up' }
  | { readonly kind: 'finish' };

export interface OperationStep {
  readonly state: OperationState;
  readonly commands: readonly OperationCommand[];
}

export function initialOperation(openPipes: number): OperationState {
  return { phase: 'running', exited: false, openPipes, drainExpired: false, polling: false };
}

type Handler = (s: OperationState, i: OperationInput) => OperationStep;

const same = (s: OperationState): OperationStep => ({ state: s, commands: [] });
const done = (s: OperationState, ...before: OperationCommand[]): OperationStep => ({ state: { ...s, phase: 'done' }, commands: [...before, { kind: 'finish' }] });

/** Whether the operation is over, after any input (see the top of this file). */
function settle(s: OperationState, before: readonly OperationCommand[] = []): OperationStep {
  if (!s.exited || s.phase === 'done') return { state: s, commands: before };
  if (s.phase === 'running') return s.openPipes === 0 || s.drainExpired ? done(s, ...before) : { state: s, commands: before };
  if (s.openPipes === 0 && !s.polling) return { state: { ...s, polling: true }, commands: [...before, { kind: 'check-group' }] };
  return { state: s, commands: before };
}

/** Inputs every phase handles alike (exit, pipes, the group's liveness, a failed spawn). */
const common: Readonly<Partial<Record<OperationInput['kind'], Handler>>> = {
  'exit': (s) => settle({ ...s, exited: true }),
  'pipe-closed': (s) => settle({ ...s, openPipes: s.openPipes - 1 }),
  'group': (s, i) => (i.kind === 'group' && !i.alive ? done(s) : { state: s, commands: [{ kind: 'arm', timer: 'poll' }] }),
  'spawn-failed': (s) => done({ ...s, exited: true }),
};

/** Timers, by the phase they matter in; a timer in any other phase is ignored. */
const TIMERS: Readonly<Record<OperationPhase, Partial<Record<OperationTimer, (s: OperationState) => OperationStep>>>> = {
  running: {
    // Once the script has exited, what still holds its pipes (a daemon it started) is not ours to kill.
    timeout: (s) => (s.exited ? same(s) : withArm(settle({ ...s, phase: 'terminating' }, [{ kind: 'term' }]), 'grace')),
    drain: (s) => settle({ ...s, drainExpired: true }),
    poll: (s) => ({ state: s, commands: [{ kind: 'check-group' }] }),
  },
  terminating: {
    grace: (s) => withArm(settle({ ...s, phase: 'killing' }, [{ kind: 'kill-if-alive' }]), 'kill-wait'),
    poll: (s) => ({ state: s, commands: [{ kind: 'check-group' }] }),
  },
  killing: {
    'kill-wait': (s) => done(s, { kind: 'give-up' }),
    'poll': (s) => ({ state: s, commands: [{ kind: 'check-group' }] }),
  },
  done: {},
};

function withArm(r: OperationStep, timer: OperationTimer): OperationStep {
  return { state: r.state, commands: [...r.commands, { kind: 'arm', timer }] };
}

/** One input: the next state and what to do. Nothing happens once done. */
export function stepOperation(s: OperationState, i: OperationInput): OperationStep {
  if (s.phase === 'done') return same(s);
  if (i.kind === 'timer') return TIMERS[s.phase][i.timer]?.(s) ?? same(s);
  if (i.kind === 'exit' && s.phase === 'running' && s.openPipes > 0) return withArmFirst(common.exit?.(s, i) ?? same(s), 'drain');
  return common[i.kind]?.(s, i) ?? same(s);
}

function withArmFirst(r: OperationStep, timer: OperationTimer): OperationStep {
  return { state: r.state, commands: [{ kind: 'arm', timer }, ...r.commands] };
}
