// STONITH at the edge: resets a node through cluster-glue's `stonith` command (the decision is protocol.ts Fencing).
/*
 * heartbeat 3.0.6 links cluster-glue's STONITH library and resets in a forked child (Initiate_Reset): the
 * child logs "Resetting node X with [TYPE]", asks the plugin, logs the outcome and sends the `stonith`
 * message; the parent retries 5 s after a failure. heartbeat-ts runs the library's command-line front end
 * instead — the same plugins, configured the same way:
 *
 *   stonith TYPE FILE               → stonith -t TYPE -F FILE -T reset NODE     (stonith_set_config_file)
 *   stonith_host HOST TYPE PARAMS…  → stonith -t TYPE -p "PARAMS…" -T reset NODE (stonith_set_config_info)
 *
 * without a shell, in its own process group, with a time limit (SIGTERM, SIGKILL 2 s later: Heartbeat has
 * none). Its exit status is the plugin's answer (cluster-glue main.c returns stonith_req_reset's rc):
 * 0 S_OK → `OK`, 4 S_BADHOST → `badhost`, anything else (and a timeout) → `bad`, as Initiate_Reset maps them.
 */
import fs from 'node:fs';
import type { StonithDevice } from '../../config/model.js';
import type { LogLevel } from '../../core/log-level.js';
import type { FenceResult } from '../../resources/protocol.js';
import { runOperation, SANE_PATH, type OperationResult } from './script-runner.js';

/** Debian's cluster-glue. */
export const STONITH_PROGRAM = '/usr/sbin/stonith';
/** Limit of one reset (power switches answer in seconds; Heartbeat waits for ever). */
export const STONITH_TIMEOUT_MS = 60_000;
/** cluster-glue stonith.h S_BADHOST. */
const S_BADHOST = 4;

/** The argv of one `stonith` run: `-T reset NODE`, or `-S` (the device's status) when node is undefined. */
export function stonithArgv(device: StonithDevice, node: string | undefined, program = STONITH_PROGRAM): string[] {
  const config = device.configFile !== undefined ? ['-F', device.configFile] : ['-p', device.params ?? ''];
  return [program, '-t', device.type, ...config, ...(node === undefined ? ['-S'] : ['-T', 'reset', node])];
}

/** Initiate_Reset's mapping of the plugin's answer. */
export function fenceResultOf(r: Pick<OperationResult, 'exitCode' | 'timedOut' | 'spawnError'>): FenceResult {
  if (r.timedOut || r.spawnError !== undefined) return 'bad';
  if (r.exitCode === 0) return 'OK';
  return r.exitCode === S_BADHOST ? 'badhost' : 'bad';
}

/** What `heartbeat -f` must refuse to start with: the command missing. The message names the directive and line. */
export function stonithStartupProblem(device: StonithDevice, haCf: string, program = STONITH_PROGRAM): string | undefined {
  try {
    fs.accessSync(program, fs.constants.X_OK);
  } catch {
    return `${haCf}:${device.line}: ${device.directive} ${device.type}: ${program} (cluster-glue) is not installed or not executable; heartbeat-ts resets nodes through it (apt install cluster-glue)`;
  }
  return undefined;
}

export interface StonithOptions {
  readonly device: StonithDevice;
  readonly log: (level: LogLevel, text: string) => void;
  readonly program?: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export class Stonith {
  constructor(private readonly o: StonithOptions) {}

  private get deviceId(): string {
    return this.o.device.type;
  }

  private run(node: string | undefined): Promise<OperationResult> {
    const argv = stonithArgv(this.o.device, node, this.o.program);
    return runOperation({
      argv,
      timeoutMs: this.o.timeoutMs ?? STONITH_TIMEOUT_MS,
      env: this.o.env ?? { PATH: SANE_PATH },
      logPrefix: node === undefined ? `stonith -t ${this.deviceId} -S` : `stonith -t ${this.deviceId} -T reset ${node}`,
      log: this.o.log,
      killGraceMs: 2000,
      drainAfterExitMs: 2000,
    });
  }

  /** Resets `node`; never rejects. Logs Heartbeat's lines around it. */
  async reset(node: string): Promise<FenceResult> {
    this.o.log('info', `Resetting node ${node} with [${this.deviceId}]`);
    const r = await this.run(node);
    const result = fenceResultOf(r);
    const how = r.timedOut
      ? `timed out after ${this.o.timeoutMs ?? STONITH_TIMEOUT_MS} ms`
      : r.spawnError !== undefined
        ? `could not run ${r.argv[0] ?? ''}: ${r.spawnError}`
        : r.signal !== null
          ? `killed by ${r.signal}`
          : `exit status ${r.exitCode ?? '?'}`;
    if (result === 'OK') this.o.log('info', `node ${node} now reset.`);
    else if (result === 'badhost') this.o.log('err', `Device ${this.deviceId} cannot reset host ${node}. (stonith ${how})`);
    else this.o.log('err', `Host ${node} not reset! (stonith ${how})`);
    return result;
  }

  /** Heartbeat checks the device at comm-up and every hour after ("Checking status of STONITH device"). */
  async checkStatus(): Promise<boolean> {
    this.o.log('info', `Checking status of STONITH device [${this.deviceId}]`);
    const r = await this.run(undefined);
    if (fenceResultOf(r) === 'OK') return true;
    this.o.log('err', 'STONITH status operation failed.');
    this.o.log('info', 'This may mean that the STONITH device has failed!');
    return false;
  }
}
