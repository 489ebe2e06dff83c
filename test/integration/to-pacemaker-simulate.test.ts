// Pacemaker 2.1's own tools judge every generated cib.xml: crm_verify finds nothing, and crm_simulate places
// each haresources group on its home node with its resources together, started in haresources order, and on
// the other node when the home node is offline.
//
// Every config set Heartbeat accepts, plus the extra inputs (test/fixtures/to-pacemaker/inputs). Needs
// pacemaker-cli-utils (crm_verify, crm_simulate, crm_mon); with CI=true a missing tool is a failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configOf, convertibles, convertSet } from '../helpers/to-pacemaker.js';
import { promotionAttributes, simulate, verifyFindings, type Placement } from '../helpers/pacemaker-sim.js';
import { requireCommands } from '../helpers/privileges.js';
import type { Group, PacemakerModel } from '../../src/pacemaker/model.js';
import { parseHaresources } from '../../src/config/haresources.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-pcmk-sim-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const TOOLS = ['crm_verify', 'crm_simulate', 'crm_mon'];

/**
 * A promotable clone gets the promotion score the DRBD agent sets where its disk is UpToDate: the same on
 * every node (then the group's preferences, home and stickiness, choose where it is promoted).
 */
function promotionScores(m: PacemakerModel): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const c of m.clones.filter((x) => x.promotable)) {
    out.set(c.primitive.id, new Map(m.nodes.map((n) => [n.name, 10_000])));
  }
  return out;
}

/** The group's members all run on one node, `where` (or on one node outside `notOn`), started in order. */
function assertTogether(g: Group, p: Placement, where: { on?: string; notOn?: string; stayed?: boolean }, label: string): void {
  assert.deepEqual(p.groups.get(g.id), g.members.map((r) => r.id), `${label}: ${g.id}'s members in haresources order`);
  const nodes = g.members.map((r) => p.resources.get(r.id) ?? ['(missing)']);
  const first = nodes[0] ?? [];
  assert.equal(first.length, 1, `${label}: ${g.members[0]?.id} runs on exactly one node, not ${JSON.stringify(first)}\n${p.simulateOutput}`);
  for (const [i, n] of nodes.entries()) assert.deepEqual(n, first, `${label}: ${g.members[i]?.id} on ${JSON.stringify(n)}, with the rest of ${g.id} on ${JSON.stringify(first)}`);
  if (where.on !== undefined) assert.equal(first[0], where.on, `${label}: ${g.id} on its home node`);
  if (where.notOn !== undefined) assert.notEqual(first[0], where.notOn, `${label}: ${g.id} away from the offline node`);
  if (where.stayed === true) {
    // Nothing of the group was (re)started in this step: it stayed where it ran.
    for (const r of g.members) assert.ok(!p.startInputs.has(`${r.id}_start_0`), `${label}: ${r.id} was started again`);
    return;
  }
  for (let i = 1; i < g.members.length; i++) {
    const then = `${g.members[i]?.id}_start_0`;
    const before = `${g.members[i - 1]?.id}_start_0`;
    assert.ok(p.startInputs.get(then)?.includes(before), `${label}: ${then} waits for ${before}: ${JSON.stringify(p.startInputs.get(then))}`);
  }
}

function assertStopped(g: Group, p: Placement, label: string): void {
  for (const r of g.members) assert.deepEqual(p.resources.get(r.id), [], `${label}: ${r.id} of ${g.id} is stopped`);
}

for (const c of convertibles()) {
  test(`pacemaker tools on ${c.name}: crm_verify clean; groups placed together, home first, elsewhere when home is offline`, (t) => {
    if (!requireCommands(t, TOOLS)) return;
    const r = convertSet(c);
    const m = r.model;
    assert.ok(m !== undefined, JSON.stringify(r.diagnostics));
    const dir = fs.mkdtempSync(path.join(work, `${c.name}-`));
    const cib = path.join(dir, 'cib.xml');
    fs.writeFileSync(cib, r.files.find(([n]) => n === 'cib.xml')?.[1] ?? '');

    const v = verifyFindings(cib);
    assert.deepEqual(v.findings, [], `crm_verify on ${c.name}:\n${v.run.output}`);

    // The groups are haresources' lines, their members its resources in order (drbddisk becomes a clone).
    const lines = parseHaresources(fs.readFileSync(path.join(c.dir, 'haresources'), 'latin1'), 'haresources', () => 'normal').groups.filter((g) => g.resources.length > 0);
    assert.deepEqual(m.groups.map((g) => [g.home, g.members.map((p) => p.origin)]),
      lines.map((g) => [g.node, g.resources.filter((x) => x.script !== 'drbddisk').map((x) => x.spec)]));

    const names = m.nodes.map((n) => n.name);
    const promotion = promotionAttributes(promotionScores(m));
    const all = simulate(cib, dir, names, [], promotion);
    assert.equal(typeof all, 'object', String(all));
    const allUp = all as Placement;
    for (const g of m.groups) {
      if (g.stopped) assertStopped(g, allUp, 'all nodes up');
      else assertTogether(g, allUp, { on: g.home }, 'all nodes up');
    }

    for (const home of [...new Set(m.groups.filter((g) => !g.stopped).map((g) => g.home))]) {
      const label = `${home} offline`;
      const others = names.filter((n) => n !== home);
      const sim = simulate(cib, dir, others, [home], promotion);
      assert.equal(typeof sim, 'object', String(sim));
      const p = sim as Placement;
      for (const g of m.groups) {
        if (g.stopped || (g.home === home && others.length === 0)) assertStopped(g, p, label);
        else if (g.home === home) assertTogether(g, p, { notOn: home }, label);
        else assertTogether(g, p, { on: g.home }, label);
      }
      if (others.length === 0) continue;
      // The home node comes back: auto_failback on (and legacy) → its groups go home; off → they stay.
      const back = simulate(p.outFile, dir, [home], [], promotion);
      assert.equal(typeof back, 'object', String(back));
      // From ha.cf, not from the model: Heartbeat's auto_failback on and legacy fail back, off does not.
      const failback = configOf(c)?.autoFailback !== 'off';
      for (const g of m.groups.filter((x) => !x.stopped && x.home === home)) {
        const where = (p.resources.get(g.members[0]?.id ?? '') ?? [])[0];
        assertTogether(g, back as Placement, failback ? { on: home } : { on: where ?? '(stopped)', stayed: true }, `${home} back (${failback ? 'failback' : 'no failback'})`);
      }
    }
  });
}

/** pingd on each node, with the promotion scores the DRBD agent would set. */
function withPingd(m: PacemakerModel, pingd: Readonly<Record<string, string>>): Map<string, Map<string, string>> {
  const out = promotionAttributes(promotionScores(m));
  for (const [node, value] of Object.entries(pingd)) out.set(node, new Map([...(out.get(node) ?? []), ['pingd', value]]));
  return out;
}

for (const c of convertibles()) {
  const m = convertSet(c).model;
  if (m === undefined || !m.clones.some((x) => x.primitive.type === 'ping')) continue;
  test(`pacemaker tools on ${c.name}: the ipfail rule moves a group off a node that reaches no ping node, and only then`, (t) => {
    if (!requireCommands(t, TOOLS)) return;
    const dir = fs.mkdtempSync(path.join(work, `${c.name}-ping-`));
    const cib = path.join(dir, 'cib.xml');
    fs.writeFileSync(cib, convertSet(c).files.find(([n]) => n === 'cib.xml')?.[1] ?? '');
    const names = m.nodes.map((n) => n.name);
    for (const g of m.groups.filter((x) => !x.stopped)) {
      const other = names.find((n) => n !== g.home) ?? g.home;
      // The home node reaches no ping node (pingd 0), the other does: ipfail moves the group.
      const lost = simulate(cib, dir, names, [], withPingd(m, { [g.home]: '0', [other]: '1000' }));
      assert.equal(typeof lost, 'object', String(lost));
      assertTogether(g, lost as Placement, { on: other }, `${g.home} without ping nodes`);
      // Neither reaches one: nothing moves (ipfail does nothing either).
      const none = simulate(cib, dir, names, [], withPingd(m, { [g.home]: '0', [other]: '0' }));
      assert.equal(typeof none, 'object', String(none));
      assertTogether(g, none as Placement, { on: g.home }, 'no node reaches a ping node');
    }
  });
}
