// Pacemaker's own tools on a generated cib.xml: crm_verify, and crm_simulate's placement read back with crm_mon.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ToolRun {
  readonly status: number | null;
  readonly output: string;
}

function run(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ToolRun {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error !== undefined ? String(r.error) : ''}` };
}

/**
 * Warnings crm_verify prints for any CIB without a status section (no node has been seen yet): they describe the
 * cluster state, not the configuration. Everything else it prints is a finding.
 */
export const EMPTY_STATUS_WARNINGS = [
  /warning: Fencing and resource management disabled due to lack of quorum/,
  /warning: Node \S+ is unclean but cannot be fenced/,
  /warning: Blind faith: not fencing unseen nodes/,
  /Warnings found during check: config may not be valid/,
];

/** crm_verify --xml-file: exit 0, or 78 (warnings) with only the empty-status warnings; returns the findings. */
export function verifyFindings(cibFile: string): { readonly run: ToolRun; readonly findings: readonly string[] } {
  const r = run(['crm_verify', '--xml-file', cibFile, '-V']);
  const findings = r.output.split('\n').filter((l) => l.trim() !== '' && !EMPTY_STATUS_WARNINGS.some((w) => w.test(l)));
  if (r.status !== 0 && r.status !== 78) findings.push(`crm_verify exit status ${String(r.status)}`);
  return { run: r, findings };
}

export interface Placement {
  /** Resource id → node names it is active on ([] = stopped), for group members. */
  readonly resources: ReadonlyMap<string, readonly string[]>;
  /** Group id → member ids in the order crm_mon lists them (the configured order). */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  /** "then_start_0" → the start operations it waits for, from the transition graph. */
  readonly startInputs: ReadonlyMap<string, readonly string[]>;
  readonly simulateOutput: string;
  /** The resulting CIB (status included): the input of a next step. */
  readonly outFile: string;
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

/** crm_mon's XML: <group id><resource id role …><node name/></resource>…</group>. */
export function parseCrmMon(xml: string): { resources: Map<string, string[]>; groups: Map<string, string[]> } {
  const resources = new Map<string, string[]>();
  const groups = new Map<string, string[]>();
  const section = /<resources>([\s\S]*?)<\/resources>/.exec(xml)?.[1] ?? '';
  for (const g of section.matchAll(/<group\b([^>]*)>([\s\S]*?)<\/group>/g)) {
    const id = attr(g[1] ?? '', 'id');
    if (id === undefined) continue;
    const members: string[] = [];
    for (const r of (g[2] ?? '').matchAll(/<resource\b([^>]*?)(\/>|>([\s\S]*?)<\/resource>)/g)) {
      const rid = attr(r[1] ?? '', 'id');
      if (rid === undefined) continue;
      members.push(rid);
      const active = attr(r[1] ?? '', 'active') === 'true';
      const nodes = [...(r[3] ?? '').matchAll(/<node\b([^>]*)\/>/g)].map((n) => attr(n[1] ?? '', 'name') ?? '?');
      resources.set(rid, active ? nodes : []);
    }
    groups.set(id, members);
  }
  return { resources, groups };
}

/** The transition graph: for each start operation, the start operations among its inputs. */
export function parseGraphStarts(xml: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of xml.matchAll(/<synapse\b[^>]*>([\s\S]*?)<\/synapse>/g)) {
    const body = s[1] ?? '';
    const set = /<action_set>([\s\S]*?)<\/action_set>/.exec(body)?.[1] ?? '';
    const key = /operation_key="([^"]+_start_0)"/.exec(set)?.[1];
    if (key === undefined) continue;
    const inputs = /<inputs>([\s\S]*?)<\/inputs>/.exec(body)?.[1] ?? '';
    out.set(key, [...inputs.matchAll(/operation_key="([^"]+_start_0)"/g)].map((m) => m[1] ?? ''));
  }
  return out;
}

/**
 * crm_simulate --simulate from cib.xml with `up` online and `down` offline (quorum given: two_node keeps it
 * for a pair's survivor), then crm_mon on the resulting CIB and the graph's start orderings.
 */
export function simulate(
  cibFile: string, workDir: string, up: readonly string[], down: readonly string[], attributes: NodeAttributes = new Map(),
): Placement | string {
  const tag = `${path.basename(cibFile, '.xml')}-${up.join('_')}-down-${down.join('_') || 'none'}`;
  let outFile = path.join(workDir, `sim-${tag}.xml`);
  const graphFile = path.join(workDir, `graph-${tag}.xml`);
  const nodes = [...up.flatMap((n) => ['--node-up', n]), ...down.flatMap((n) => ['--node-down', n])];
  let sim = run(['crm_simulate', '--xml-file', cibFile, '--simulate', '--quorum', 'true', ...nodes, '--save-output', outFile, '--save-graph', graphFile]);
  if (sim.status !== 0) return `crm_simulate exit ${String(sim.status)}:\n${sim.output}`;
  let firstGraph = '';
  if (attributes.size > 0) {
    // What agents do once running: the DRBD agent sets its promotion score on each node, ping sets pingd.
    // Then a second round, from the first round's result, reacts to them (promotes, moves).
    const patched = withNodeAttributes(fs.readFileSync(outFile, 'utf8'), attributes);
    const second = path.join(workDir, `sim-${tag}-promoted.xml`);
    fs.writeFileSync(path.join(workDir, `sim-${tag}-in.xml`), patched);
    firstGraph = fs.readFileSync(graphFile, 'utf8');
    sim = run(['crm_simulate', '--xml-file', path.join(workDir, `sim-${tag}-in.xml`), '--simulate', '--quorum', 'true', '--save-output', second, '--save-graph', graphFile]);
    if (sim.status !== 0) return `crm_simulate (node attributes round) exit ${String(sim.status)}:\n${sim.output}`;
    outFile = second;
  }
  const mon = run(['crm_mon', '--one-shot', '--output-as=xml', '--inactive'], { CIB_file: outFile });
  if (mon.status !== 0) return `crm_mon exit ${String(mon.status)}:\n${mon.output}`;
  const { resources, groups } = parseCrmMon(mon.output);
  // Both rounds' starts (the first round starts what needs no promotion).
  const startInputs = new Map([...parseGraphStarts(firstGraph), ...parseGraphStarts(fs.readFileSync(graphFile, 'utf8'))]);
  return { resources, groups, startInputs, simulateOutput: sim.output, outFile };
}

/** Node → transient attributes (name → value) to write into the node's status. */
export type NodeAttributes = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** Promotion scores (Pacemaker 2.1 names them master-<rsc>) as node attributes. */
export function promotionAttributes(promotion: ReadonlyMap<string, ReadonlyMap<string, number>>): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [rsc, scores] of promotion) {
    for (const [node, score] of scores) out.set(node, new Map([...(out.get(node) ?? []), [`master-${rsc}`, String(score)]]));
  }
  return out;
}

/** Adds transient node attributes to the status of each node named (that has a node_state). */
export function withNodeAttributes(cibXml: string, attributes: NodeAttributes): string {
  let xml = cibXml;
  for (const [node, attrs] of attributes) {
    const open = new RegExp(`<node_state\\b[^>]*\\suname="${node}"[^>]*>`).exec(xml);
    if (open === null) continue;
    const id = attr(open[0], 'id') ?? node;
    const pairs = [...attrs].map(([name, value]) => `<nvpair id="status-${id}-${name}" name="${name}" value="${value}"/>`).join('');
    const block = `<transient_attributes id="${id}"><instance_attributes id="status-${id}">${pairs}</instance_attributes></transient_attributes>`;
    const at = open.index + open[0].length;
    xml = `${xml.slice(0, at)}${block}${xml.slice(at)}`;
  }
  return xml;
}
