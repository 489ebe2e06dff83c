// `hbctl test-links`: before a pair goes live, test every ha.cf medium end to end with the other nodes.
// The pure judgement is src/linktest/core.ts; this file opens the media, sends the probes and prints.
import path from 'node:path';
import { formatDiagnostic, hasErrors } from '../core/diagnostic.js';
import type { Medium } from '../config/model.js';
import { loadConfig, realHostFacts, type LoadedConfig } from '../daemon/load-config.js';
import { planMedia } from '../daemon/media-factory.js';
import { SerialMedium } from '../media/serial.js';
import type { MediumAdapter } from '../media/medium.js';
import { LinkTest, PROBE_INTERVAL_MS, type LinkTestMedium, type LinkResult } from '../linktest/core.js';
import { encodeNetstring, makeMessage, signMessage } from '../wire/index.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, type Io } from './hbctl-io.js';
import { COMMON_USAGE, parseArgs } from './options.js';

export const TEST_LINKS_USAGE = `Usage: hbctl test-links [--seconds N] [--json] [--config-dir DIR] [--node-name NAME]

Run it on every node of the pair at the same time, BEFORE starting heartbeat (it uses the same UDP ports
and serial devices). For each medium of ha.cf (bcast, ucast, mcast, ucast6, mcast6, serial) it sends signed probes with the
keys of authkeys and listens for the other nodes' probes, which acknowledge ours, so each medium is checked
in both directions; then it prints one line per medium and node: ok, or what is wrong and what to fix
(keys that differ, a port blocked in one direction, a silent or miswired serial cable, another baud rate,
a device that cannot be opened). Ping nodes are not tested here.

  --seconds N   give up after N seconds (default 10; it ends sooner once everything is confirmed)
  --json        one JSON document: {"ok": …, "node": …, "results": [{medium, describe, peer, verdict, text, sent, heard}]}
${COMMON_USAGE.split('\n').slice(0, 2).join('\n')}
  --help        this text

Exit status: 0 every medium works both ways with every node, 1 something does not, 2 bad usage or a
configuration heartbeat would refuse.
`;

const SPEC = { shortFlags: 'h', shortWithValue: '', longFlags: ['json', 'help'], longWithValue: ['seconds'] } as const;
const MAX_SECONDS = 600;

function describeMedium(m: Medium, udpPortDefault: number): string | undefined {
  switch (m.kind) {
    case 'bcast':
      return `bcast ${m.iface} (UDP port ${m.port || udpPortDefault})`;
    case 'ucast':
      return `ucast ${m.iface} to ${m.peer} (UDP port ${m.port || udpPortDefault})`;
    case 'mcast':
      return `mcast ${m.iface} group ${m.group} (UDP port ${m.port})`;
    case 'ucast6':
      return `ucast6 ${m.iface} to ${m.peer} (UDP port ${m.port})`;
    case 'mcast6':
      return `mcast6 ${m.iface} group ${m.group} (UDP port ${m.port})`;
    case 'serial':
      return `serial ${m.device} (${m.baud} baud)`;
    default:
      return undefined;
  }
}

const MISSING_SERIAL = /^serial "(.+)": no such serial port$/;

/**
 * The configuration as heartbeat would read it, except that a serial device that does not exist is not an
 * error here: a missing device (an unplugged USB adaptor, a pty pair that is gone) is one of the things this
 * command reports, per medium, as "cannot be opened".
 */
function loadTestableConfig(configDir: string, nodeName: string | undefined, io: Io): LoadedConfig {
  const first = loadConfig({ configDir, nodeName });
  const missing = new Set<string>();
  for (const d of first.diagnostics) {
    const m = d.code === 'HA_CFG_BAD_SERIAL' ? MISSING_SERIAL.exec(d.message) : null;
    if (m?.[1] !== undefined) missing.add(m[1]);
  }
  if (missing.size === 0) return first;
  for (const device of missing) io.err(`hbctl test-links: serial device ${device} does not exist; testing the others\n`);
  const real = realHostFacts();
  return loadConfig({ configDir, nodeName }, { ...real, pathKind: (p) => (missing.has(p) ? 'char-device' : real.pathKind(p)) });
}

export async function runTestLinks(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parseArgs(argv, SPEC);
  if (!parsed.ok) {
    io.err(`hbctl test-links: ${parsed.error}\n\n${TEST_LINKS_USAGE}`);
    return EXIT_USAGE;
  }
  const args = parsed.value;
  if (args.long.has('help') || (args.short.get('h') ?? 0) > 0) {
    io.out(TEST_LINKS_USAGE);
    return EXIT_OK;
  }
  if (args.operands.length > 0) {
    io.err(`hbctl test-links: unexpected argument "${args.operands[0]}"\n\n${TEST_LINKS_USAGE}`);
    return EXIT_USAGE;
  }
  const secondsText = args.longValues.get('seconds') ?? '10';
  const seconds = Number(secondsText);
  if (!/^\d+(\.\d+)?$/.test(secondsText) || seconds <= 0 || seconds > MAX_SECONDS) {
    io.err(`hbctl test-links: --seconds wants a number of seconds from 0 to ${MAX_SECONDS}, not "${secondsText}"\n`);
    return EXIT_USAGE;
  }

  const loaded = loadTestableConfig(args.common.configDir, args.common.nodeName, io);
  const config = loaded.config;
  if (config === undefined || hasErrors(loaded.diagnostics)) {
    for (const d of loaded.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    io.err(`hbctl test-links: ${args.common.configDir} has errors (heartbeat would not start with it); fix them first\n`);
    return EXIT_USAGE;
  }
  const peers = config.nodes.filter((n) => n.type !== 'ping' && n.name !== config.localNode).map((n) => n.name);
  if (peers.length === 0) {
    io.err(`hbctl test-links: ha.cf names no other node than ${config.localNode}: nothing to test against\n`);
    return EXIT_USAGE;
  }
  const testable: { adapter: MediumAdapter; medium: LinkTestMedium }[] = [];
  const skipped: string[] = [];
  for (const m of config.media) {
    const describe = describeMedium(m, config.udpPort);
    if (describe === undefined) continue;
    const plan = planMedia([m]);
    skipped.push(...plan.skipped);
    const adapter = plan.adapters[0];
    if (adapter === undefined) continue;
    // Names travel in the probes: unique per node, no spaces or commas (interfaces and device paths have none).
    testable.push({ adapter, medium: { name: `${m.kind}:${adapter.name}`, describe, kind: adapter.kind } });
  }
  for (const s of skipped) io.err(`hbctl test-links: not tested: ${s}\n`);
  if (testable.length === 0) {
    io.err(`hbctl test-links: ha.cf has no bcast, ucast, mcast, ucast6, mcast6 or serial medium to test\n`);
    return EXIT_USAGE;
  }

  const authkeysPath = path.join(args.common.configDir, 'authkeys');
  const test = new LinkTest({ localNode: config.localNode, peers, media: testable.map((t) => t.medium), keys: config.authKeys, authkeysPath });
  if (!args.long.has('json')) {
    io.out(`hbctl test-links: ${config.localNode} testing ${testable.length} medi${testable.length === 1 ? 'um' : 'a'} with ${peers.join(', ')} for up to ${seconds} s\n`);
  }

  const open: { adapter: MediumAdapter; medium: LinkTestMedium }[] = [];
  for (const t of testable) {
    const problems: string[] = [];
    try {
      await t.adapter.start({
        frame: (bytes) => test.frame(t.medium.name, bytes),
        problem: (text) => {
          problems.push(text);
          test.problem(t.medium.name, text);
        },
      });
      if (t.adapter instanceof SerialMedium && !t.adapter.isOpen) {
        // The medium's own line ends with its retry policy, which means nothing for a one-off test.
        test.openFailed(t.medium.name, (problems[problems.length - 1] ?? 'it did not open').replace(/; retrying .*$/, ''));
        await t.adapter.close();
        continue;
      }
      open.push(t);
    } catch (e) {
      test.openFailed(t.medium.name, e instanceof Error ? e.message : String(e));
    }
  }

  try {
    const deadline = Date.now() + seconds * 1000;
    while (open.length > 0 && Date.now() < deadline) {
      for (const t of open) {
        const fields = test.probe(t.medium.name);
        if (fields === undefined) continue;
        const signed = signMessage(makeMessage(fields), config.authKeys);
        if (!signed.ok) throw new Error(`cannot sign a probe: ${signed.error.detail}`);
        const packet = encodeNetstring(signed.value, config.authKeys, { keepInnerAuth: true });
        if (!packet.ok) throw new Error(`cannot encode a probe: ${packet.error.detail}`);
        t.adapter.send({ packet: packet.value, message: signed.value });
      }
      if (test.roundDone()) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(PROBE_INTERVAL_MS, Math.max(0, deadline - Date.now()))));
    }
  } finally {
    await Promise.all(open.map((t) => t.adapter.close()));
  }

  const results = test.results();
  const good = results.every((r) => r.verdict === 'ok');
  if (args.long.has('json')) io.out(`${JSON.stringify({ ok: good, node: config.localNode, results }, null, 2)}\n`);
  else io.out(render(results, good));
  return good ? EXIT_OK : EXIT_FAIL;
}

function render(results: readonly LinkResult[], good: boolean): string {
  const lines = results.map((r) => `  ${r.verdict === 'ok' ? 'ok  ' : 'FAIL'} ${r.text} [sent ${r.sent}, heard ${r.heard}]\n`);
  const bad = results.filter((r) => r.verdict !== 'ok').length;
  return `${lines.join('')}${good ? 'All media work both ways.\n' : `${bad} of ${results.length} checks failed.\n`}`;
}
