// Honest placeholder for commands whose package.json names exist before their implementation does.
import { VERSION } from '../core/version.js';

/** Prints what is missing and exits 1 (LSB "generic or unspecified error"). */
export function notImplementedYet(command: string, what: string): never {
  process.stderr.write(
    `${command}: not implemented yet in heartbeat-ts ${VERSION} (${what}).\n` +
      `Use the real Heartbeat's ${command} meanwhile; see README.md, "Status".\n`,
  );
  process.exit(1);
}
