// Issue #7 item 4: the Prometheus endpoint of a running heartbeat-ts node (`--metrics 127.0.0.1:PORT`, the
// node's own loopback), scraped before and after a failover.
//
//   [alpha] heartbeat-ts --metrics 127.0.0.1:9694        [bravo] heartbeat-ts
//   haresources: alpha hbts-res::ga / bravo hbts-res::gb (a v1 script keeping its state in the node's /run)
//
// Both start and take their own group; bravo is SIGKILLed; alpha declares it dead and takes gb over. The
// scrape shows the change: bravo dead, its link down, gb acquired, two groups held, more heartbeats sent and
// received, the scripts' runs with their durations, and the event-loop delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, killPid, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { readLog, tail } from '../helpers/real-heartbeat.js';
import { heldResources, installStateResource } from '../helpers/state-resource.js';

const PORT = 9694;
/** GET /metrics inside alpha (its loopback), with curl; the samples as a map. */
async function scrape(lab: Lab): Promise<{ text: string; samples: Map<string, number> }> {
  const r = await lab.exec('alpha', ['curl', '-sS', '--max-time', '5', `http://127.0.0.1:${PORT}/metrics`], { timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0, `curl: ${r.stderr}`);
  const samples = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text: r.stdout, samples };
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, lab: Lab): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms\nalpha:\n${tail(readLog(lab, 'alpha'), 25)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - start;
}

function holds(lab: Lab, node: string): string[] {
  return heldResources(lab, node, ['ga', 'gb']);
}

const get = (m: Map<string, number>, series: string): number => m.get(series) ?? 0;

test('metrics endpoint: scraped on the node\'s loopback; its counters move when bravo dies and alpha takes gb over', async (t) => {
  if (!requireRootAndCommands(t, ['curl'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'metrics', bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    writePairConfig(lab, n, { media: ['bcast eth0'] });
    const haDir = lab.node(n).haDir;
    fs.writeFileSync(path.join(haDir, 'haresources'), 'alpha hbts-res::ga\nbravo hbts-res::gb\n');
    installStateResource(lab, n);
  }
  await startOurHeartbeat(lab, 'alpha', 10_000, { args: ['--metrics', `127.0.0.1:${PORT}`] });
  const bravo = await startOurHeartbeat(lab, 'bravo');
  await until('ga on alpha, gb on bravo', () => holds(lab, 'alpha').join() === 'ga' && holds(lab, 'bravo').join() === 'gb', 30_000, lab);
  assert.match(readLog(lab, 'alpha'), new RegExp(`Metrics at http://127\\.0\\.0\\.1:${PORT}/metrics`));

  const before = await scrape(lab);
  const b = before.samples;
  assert.equal(get(b, 'heartbeat_node_status{node="alpha",status="active"}'), 1, before.text);
  assert.equal(get(b, 'heartbeat_node_status{node="bravo",status="active"}'), 1, before.text);
  assert.equal(get(b, 'heartbeat_link_up{node="bravo",medium="eth0"}'), 1, before.text);
  assert.ok(get(b, 'heartbeat_node_last_heard_seconds{node="bravo"}') < 1, before.text);
  assert.equal(get(b, 'heartbeat_resource_groups_held'), 1, before.text);
  assert.equal(get(b, 'heartbeat_resource_group_changes_total{group="hbts-res::ga",change="acquired"}'), 1, before.text);
  assert.equal(get(b, 'heartbeat_resource_group_changes_total{group="hbts-res::gb",change="acquired"}'), 0, before.text);
  assert.ok(get(b, 'heartbeat_messages_sent_total{reason="status"}') > 0, before.text);
  assert.ok(get(b, 'heartbeat_frames_received_total{medium="eth0"}') > 0, before.text);
  assert.ok(b.has('heartbeat_event_loop_delay_seconds{quantile="max"}'), before.text);

  killPid(bravo.pid, 'SIGKILL');
  const tookMs = await until('alpha holds ga and gb', () => holds(lab, 'alpha').join() === 'ga,gb', 30_000, lab);
  // The node dies a deadtime after its last status, its link a deadtime after its last packet of any kind: when
  // bravo's last frame was not a status (a resource message, an ACK), the link goes down up to a deadtime after
  // the takeover. Scrape until it has (bounded), then check everything in that one scrape.
  let after = await scrape(lab);
  for (let i = 0; i < 50 && get(after.samples, 'heartbeat_link_up{node="bravo",medium="eth0"}') !== 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await scrape(lab);
  }
  const a = after.samples;
  assert.equal(get(a, 'heartbeat_node_status{node="bravo",status="dead"}'), 1, after.text);
  assert.equal(get(a, 'heartbeat_node_status{node="bravo",status="active"}'), 0, after.text);
  assert.equal(get(a, 'heartbeat_node_status_changes_total{node="bravo",status="dead"}'), 1, after.text);
  assert.equal(get(a, 'heartbeat_link_up{node="bravo",medium="eth0"}'), 0, after.text);
  assert.ok(get(a, 'heartbeat_node_last_heard_seconds{node="bravo"}') >= 1, after.text);
  assert.equal(get(a, 'heartbeat_resource_group_changes_total{group="hbts-res::gb",change="acquired"}'), 1, after.text);
  assert.equal(get(a, 'heartbeat_resource_groups_held'), 2, after.text);
  assert.ok(get(a, 'heartbeat_resource_operations_total{resource="hbts-res::gb",operation="start",outcome="success"}') >= 1, after.text);
  assert.ok(a.has('heartbeat_resource_operation_seconds_total{resource="hbts-res::gb",operation="start"}'), after.text);
  assert.ok(get(a, 'heartbeat_messages_sent_total{reason="status"}') > get(b, 'heartbeat_messages_sent_total{reason="status"}'), 'more heartbeats sent');
  const notFound = await lab.exec('alpha', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `http://127.0.0.1:${PORT}/`], { timeoutMs: 10_000 });
  assert.equal(notFound.stdout, '404');
  process.stdout.write(`# alpha took gb over ${tookMs} ms after bravo's SIGKILL; the scrape: ${after.text.length} bytes, ${a.size} samples\n`);
});
