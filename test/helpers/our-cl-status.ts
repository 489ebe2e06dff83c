// Our cl_status run in-process (runClStatus: the program minus process start-up), for tests comparing answers.
import { runClStatus } from '../../src/cli/cl-status.js';

export interface ClStatusAnswer {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** cl_log's prefix carries a timestamp, the host and a pid: "Nov 25 09:17:55 alpha cl_status: [7671]: ERROR: …". */
export function maskClLog(text: string): string {
  return text.replace(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ cl_status: \[\d+\]: /gm, 'cl_status: [PID]: ');
}

/** One cl_status command against the API socket at socketPath; stderr masked as maskClLog does. */
export async function runOurClStatus(argv: readonly string[], socketPath: string): Promise<ClStatusAnswer> {
  let stdout = '';
  let stderr = '';
  const code = await runClStatus(argv, {
    io: { out: (s) => void (stdout += s), err: (s) => void (stderr += s) },
    socketPath,
    hostname: 'alpha',
    pid: process.pid,
    now: () => new Date(),
    posixlyCorrect: false,
  });
  return { argv, exitCode: code, stdout, stderr: maskClLog(stderr) };
}
