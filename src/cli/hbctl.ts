#!/usr/bin/env node
// `hbctl`: heartbeat-ts's operator toolbox; dispatches to one subcommand (`status`, `wire`, `test-links`, `to-pacemaker`, `propagate`).
import { VERSION } from '../core/version.js';
import { WIRE_USAGE, runWire } from './hbctl-wire.js';
import { runStatus } from './hbctl-status.js';
import { runTestLinks } from './hbctl-test-links.js';
import { runToPacemaker } from './hbctl-to-pacemaker.js';
import { runPropagate } from './hbctl-propagate.js';
import { runCleanup } from './hbctl-cleanup.js';
import { EXIT_OK, EXIT_USAGE, type Io, processIo } from './hbctl-io.js';

export const HBCTL_USAGE = `Usage: hbctl <command> [options]

heartbeat-ts ${VERSION} operator tools.

Commands:
  status        who holds what, each node's and link's state and last-heard time, the config (--json)
  wire decode   print Heartbeat messages (UDP/ICMP payloads, serial streams, pcap captures) field by field
  wire verify   check every message's signatures against an authkeys file
  test-links    before going live: test every ha.cf medium both ways with the other nodes (run on each node)
  to-pacemaker  convert ha.cf, haresources, authkeys into corosync.conf and a Pacemaker CIB (crmsh, pcs, NOTES)
  propagate     copy ha.cf, haresources, authkeys and monitors to the other nodes (scp), as ha_propagate did
  cleanup       forget the service monitor's failures of a resource (or all) and its group's failed mark

  hbctl --help            this text
  hbctl --version         print the version
  hbctl status --help     the status command in detail
  hbctl wire --help       the wire commands in detail
  hbctl to-pacemaker --help  the conversion to Pacemaker in detail

${WIRE_USAGE}`;

/** Runs hbctl with argv (without node and script); returns the exit status. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(HBCTL_USAGE);
    return EXIT_OK;
  }
  if (command === '--version' || command === '-V') {
    io.out(`${VERSION} (heartbeat-ts hbctl)\n`);
    return EXIT_OK;
  }
  if (command === 'wire') return runWire(rest, io);
  if (command === 'status') return runStatus(rest, io);
  if (command === 'test-links') return runTestLinks(rest, io);
  if (command === 'to-pacemaker') return runToPacemaker(rest, io);
  if (command === 'propagate') return runPropagate(rest, io);
  if (command === 'cleanup') return runCleanup(rest, io);
  io.err(command === undefined ? 'hbctl: missing command\n\n' : `hbctl: unknown command "${command}"\n\n`);
  io.err(HBCTL_USAGE);
  return EXIT_USAGE;
}

main(process.argv.slice(2), processIo()).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    // A bug, not an input problem: still one line, no stack trace (HBCTL_DEBUG=1 shows it).
    process.stderr.write(`hbctl: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env['HBCTL_DEBUG'] === '1' && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
    process.exitCode = 70;
  },
);
