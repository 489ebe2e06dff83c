// hbctl's edges: exit statuses, output sinks and reading input files, with errors as one-line messages.
import fs from 'node:fs';
import { err, ok, type Result } from '../core/result.js';

export const EXIT_OK = 0;
/** Some message failed to decode or verify. */
export const EXIT_FAIL = 1;
/** Bad usage, or an input that cannot be read at all (missing file, bad authkeys). */
export const EXIT_USAGE = 2;

/** Where hbctl writes; tests may capture it, the program uses process.stdout/stderr. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export function processIo(): Io {
  // `hbctl wire decode … | head`: a closed pipe ends the output quietly, as for any Unix filter.
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK);
      throw e;
    });
  }
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
  };
}

/** Why a read failed, in words (ENOENT → "no such file or directory"), without Node's "ENOENT: …, open 'x'". */
function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** The bytes of a file, or of stdin for "-". The error names the file and the cause. */
export function readInput(file: string): Result<Buffer, string> {
  try {
    return ok(fs.readFileSync(file === '-' ? 0 : file));
  } catch (e) {
    return err(`cannot read ${file === '-' ? 'standard input' : file}: ${describeFsError(e)}`);
  }
}
