// `hbctl wire decode|verify`: the dissector for Heartbeat 3.0.6 traffic (payloads, serial streams, pcap captures).
import { formatDiagnostic, hasErrors } from '../core/diagnostic.js';
import { parseAuthkeys } from '../config/authkeys.js';
import type { AuthKeys } from '../wire/index.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, readInput, type Io } from './hbctl-io.js';
import { itemsOf, type InputMode } from './hbctl-wire-input.js';
import { analyse, decodeBlock, jsonRecord, summaryLine, verifyLine, type Analysis } from './hbctl-wire-render.js';
import { parseArgs, type ParsedArgs } from './options.js';

export const WIRE_USAGE = `Usage: hbctl wire decode [--authkeys FILE] [--json] [--serial] [FILE|-]...
       hbctl wire decode --pcap FILE [--authkeys FILE] [--json]
       hbctl wire verify --authkeys FILE [--json] [--serial] [--pcap FILE] [FILE...]

decode   prints every message field by field (binary values as hex, nested structs indented) and, with
         --authkeys, the verdict of each signature: the netstring trailer and the inner "auth" field.
         Input is recognised by its first bytes: "###\\n" one netstring message (a UDP or ICMP payload),
         ">>>\\n" classic messages (one or a stream), a libpcap magic number a capture. "-" or no FILE
         reads standard input. Exit 0 when every message decoded, 1 when one did not.
verify   prints one line per message and exits 0 only if every message in every file verifies, else 1.
         A message verifies when the signature a real Heartbeat checks is ok (the trailer for netstring,
         the inner "auth" field for classic) and its inner "auth" field, if any, is ok as well. A file
         with no message fails.

  --authkeys FILE   keys in /etc/ha.d/authkeys format ("auth N" + "N sha1|md5 KEY" or "N crc"); every
                    index is tried by the index each message names. The file's mode is not checked.
  --pcap FILE       a libpcap capture: one line per message (time, source address, protocol, type "t",
                    seq, src node, verdict) from UDP port 694 and from the ICMP echo data of the ping medium
  --serial          the input is a raw serial byte stream: messages are found between ">>>" and "<<<" lines
                    and anything else is skipped (and counted on stderr)
  --json            JSON Lines: one JSON object per message on its own line, with "file", "index", "bytes",
                    "capture" (pcap: time, src, dst, ports, proto) or null, "form" (netstring|classic),
                    "error" (reason, offset, detail) or null, "summary" (t, st, src, dest, seq, hg, ts, dtMs,
                    ttl as numbers where the wire uses hex), "fields" ([{name, type, value|hex|fields|values}]),
                    "decompressed", "trailer", and "verdicts" ({trailer, inner, accepted, verified}; null
                    without --authkeys). Verdicts: ok, no-signature, malformed, unknown-key, bad-digest.
  --help            this text

Exit status: 0 success, 1 a message did not decode (decode) or verify (verify), 2 bad usage or an input
that cannot be read (missing file, unreadable authkeys, not a pcap file).
`;

const SPEC = {
  shortFlags: 'h',
  shortWithValue: '',
  longFlags: ['json', 'serial', 'help'],
  longWithValue: ['authkeys', 'pcap'],
} as const;

function usageError(io: Io, message: string): number {
  io.err(`hbctl wire: ${message}\n\n${WIRE_USAGE}`);
  return EXIT_USAGE;
}

/** Loads --authkeys; the error text is ready to print (diagnostics pinpointed to file:line). */
function loadKeys(file: string): { keys: AuthKeys; warnings: string[] } | { error: string } {
  const bytes = readInput(file);
  if (!bytes.ok) return { error: `hbctl wire: ${bytes.error}` };
  // Keys are byte strings in Heartbeat; latin1 keeps one char per byte.
  const parsed = parseAuthkeys(bytes.value.toString('latin1'), file, undefined);
  const lines = parsed.diagnostics.map(formatDiagnostic);
  if (hasErrors(parsed.diagnostics) || parsed.keys === undefined) {
    return { error: `${lines.join('\n')}${lines.length > 0 ? '\n' : ''}hbctl wire: ${file}: no usable key (see above)` };
  }
  return { keys: parsed.keys, warnings: lines };
}

interface Inputs {
  readonly files: ReadonlyArray<{ readonly name: string; readonly mode: InputMode }>;
}

function inputsOf(args: ParsedArgs, defaultStdin: boolean): Inputs | string {
  const pcap = args.longValues.get('pcap');
  const serial = args.long.has('serial');
  if (pcap !== undefined && serial) return '--pcap and --serial do not go together';
  const mode: InputMode = serial ? 'serial' : 'auto';
  const files: Array<{ name: string; mode: InputMode }> = args.operands.map((name) => ({ name, mode }));
  if (pcap !== undefined) files.unshift({ name: pcap, mode: 'pcap' });
  if (files.length === 0) {
    if (!defaultStdin) return 'no input FILE given';
    if (process.stdin.isTTY === true) return 'no input FILE given (use "-" to read standard input)';
    files.push({ name: '-', mode });
  }
  return { files };
}

/** Reads and analyses every file; undefined after printing an I/O error (exit 2). */
function analyseAll(io: Io, inputs: Inputs, keys: AuthKeys | undefined): Array<{ file: string; analyses: Analysis[] }> | undefined {
  const out: Array<{ file: string; analyses: Analysis[] }> = [];
  for (const f of inputs.files) {
    const bytes = readInput(f.name);
    if (!bytes.ok) {
      io.err(`hbctl wire: ${bytes.error}\n`);
      return undefined;
    }
    const items = itemsOf(f.name === '-' ? '<stdin>' : f.name, bytes.value, f.mode);
    if (!items.ok) {
      io.err(`hbctl wire: ${items.error}\n`);
      return undefined;
    }
    for (const n of items.value.notes) io.err(`hbctl wire: note: ${n}\n`);
    out.push({ file: f.name === '-' ? '<stdin>' : f.name, analyses: items.value.items.map((i) => analyse(i, keys)) });
  }
  return out;
}

function decode(io: Io, args: ParsedArgs, keys: AuthKeys | undefined): number {
  const inputs = inputsOf(args, true);
  if (typeof inputs === 'string') return usageError(io, inputs);
  const all = analyseAll(io, inputs, keys);
  if (all === undefined) return EXIT_USAGE;
  const json = args.long.has('json');
  let bad = 0;
  for (const { analyses } of all) {
    for (const a of analyses) {
      if (a.error !== null) bad++;
      if (json) io.out(`${JSON.stringify(jsonRecord(a))}\n`);
      else io.out(a.item.origin !== null ? summaryLine(a) : decodeBlock(a));
    }
  }
  return bad > 0 ? EXIT_FAIL : EXIT_OK;
}

function verify(io: Io, args: ParsedArgs, keys: AuthKeys): number {
  const inputs = inputsOf(args, false);
  if (typeof inputs === 'string') return usageError(io, inputs);
  const all = analyseAll(io, inputs, keys);
  if (all === undefined) return EXIT_USAGE;
  const json = args.long.has('json');
  let total = 0;
  let failed = 0;
  let empty = 0;
  for (const { file, analyses } of all) {
    if (analyses.length === 0) {
      empty++;
      io.err(`hbctl wire: ${file}: no Heartbeat message found\n`);
    }
    for (const a of analyses) {
      total++;
      if (!a.verified) failed++;
      io.out(json ? `${JSON.stringify(jsonRecord(a))}\n` : verifyLine(a));
    }
  }
  io.err(`hbctl wire: ${total - failed} of ${total} message(s) verified${failed > 0 ? `, ${failed} failed` : ''}\n`);
  return failed > 0 || empty > 0 ? EXIT_FAIL : EXIT_OK;
}

/** `hbctl wire …` with argv after "wire"; returns the exit status. */
export function runWire(argv: readonly string[], io: Io): number {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(WIRE_USAGE);
    return EXIT_OK;
  }
  if (sub !== 'decode' && sub !== 'verify') {
    return usageError(io, sub === undefined ? 'missing subcommand (decode or verify)' : `unknown subcommand "${sub}"`);
  }
  const parsed = parseArgs(rest, SPEC);
  if (!parsed.ok) return usageError(io, parsed.error);
  const args = parsed.value;
  if (args.long.has('help') || (args.short.get('h') ?? 0) > 0) {
    io.out(WIRE_USAGE);
    return EXIT_OK;
  }
  const keyFile = args.longValues.get('authkeys');
  if (sub === 'verify' && keyFile === undefined) return usageError(io, 'verify needs --authkeys FILE');
  let keys: AuthKeys | undefined;
  if (keyFile !== undefined) {
    const loaded = loadKeys(keyFile);
    if ('error' in loaded) {
      io.err(`${loaded.error}\n`);
      return EXIT_USAGE;
    }
    for (const w of loaded.warnings) io.err(`${w}\n`);
    keys = loaded.keys;
  }
  return sub === 'decode' ? decode(io, args, keys) : verify(io, args, keys as AuthKeys);
}
