// A two-node pair serving the HOWTO's web site, each node heartbeat-ts or the real Heartbeat 3.0.6: start, power
// loss, clean stop, and the check every step ends with — the VIP on the expected node alone (both namespaces
// sampled) and the client served that node's hostname.html.
import assert from 'node:assert/strict';
import type { Lab } from './netns.js';
import type { StartedProcess } from './processes.js';
import { startOurHeartbeat } from './our-heartbeat.js';
import { REAL_HEARTBEAT, readLog, tail } from './real-heartbeat.js';
import { powerLoss, untilHeldBy, VipWatcher } from './vip.js';
import { longestGap, servedBy, startClient, strayAnswers, type WebClient } from './web.js';

export type Kind = 'ours' | 'real';

export class ServicePair {
  /** Whether the VIP is ever on both nodes, from the pair's creation to finish(). */
  readonly watcher: VipWatcher;
  readonly client: WebClient;
  private readonly ours = new Map<string, StartedProcess>();

  /** `kinds`: which implementation runs on each node; the lab has a `client` node; `say` prints a result line. */
  constructor(
    private readonly lab: Lab,
    private readonly kinds: Readonly<Record<string, Kind>>,
    private readonly vip: string,
    private readonly say: (text: string) => void,
    clientMaxMs = 240_000,
  ) {
    this.client = startClient(lab, vip, clientMaxMs);
    this.watcher = new VipWatcher(lab, vip);
  }

  kind(node: string): Kind {
    const k = this.kinds[node];
    if (k === undefined) throw new Error(`no node ${node} in this pair`);
    return k;
  }

  async start(node: string): Promise<void> {
    if (this.kind(node) === 'ours') {
      this.ours.set(node, await startOurHeartbeat(this.lab, node));
      return;
    }
    const r = await this.lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, `${REAL_HEARTBEAT} in ${node}: ${r.stderr}`);
  }

  /** Power loss: the daemon, its scripts, Apache and the address vanish at once. */
  async powerLoss(node: string): Promise<void> {
    await powerLoss(this.lab, node, this.vip);
    this.ours.delete(node);
  }

  /** Clean stop (ours: SIGTERM; real: `heartbeat -k`). Resolves when the stop has been asked for, not done. */
  async cleanStop(node: string): Promise<() => Promise<void>> {
    const p = this.ours.get(node);
    if (p !== undefined) {
      this.ours.delete(node);
      const stopping = p.stop(20_000);
      return () => stopping;
    }
    const k = this.lab.exec(node, [REAL_HEARTBEAT, '-k'], { timeoutMs: 40_000 });
    return async () => {
      const r = await k;
      assert.equal(r.exitCode, 0, `heartbeat -k in ${node}: ${r.stderr}`);
    };
  }

  /**
   * Waits (bounded) until `holder` alone has the VIP and the client got `holder`'s page, both after sinceMs;
   * prints the step with the times and the client's longest gap since sinceMs.
   */
  async expect(what: string, holder: string, sinceMs: number, timeoutMs = 30_000): Promise<void> {
    const vipMs = await untilHeldBy(this.lab, this.vip, holder, timeoutMs);
    const servedMs = await servedBy(this.client, holder, sinceMs, timeoutMs, this.lab);
    this.say(`${what} → ${holder} holds the VIP (seen after ${vipMs} ms) and serves its page ${servedMs} ms after the step began; longest client gap ${longestGap(this.client.samples(), sinceMs)} ms`);
  }

  /** The VIP stays on `holder` and its page is served for `ms` (sampled). */
  async stays(holder: string, ms: number): Promise<void> {
    const since = Date.now();
    await new Promise((r) => setTimeout(r, ms));
    await untilHeldBy(this.lab, this.vip, holder, 1000);
    const other = this.client.samples().filter((s) => s.atMs >= since && s.node !== '' && s.node !== holder);
    assert.deepEqual(other, [], `the page came from another node than ${holder}`);
  }

  /**
   * Final checks: never two holders, never a stray page; every heartbeat-ts node's log free of trouble
   * (`trouble`: what counts; the service monitor's tests expect failures and hand-overs, logged at error level).
   */
  async finish(trouble = /Giving up resources|failed to stop|authentication failed|replay attack|ERROR:|CRIT:/g): Promise<void> {
    await this.client.stop();
    this.say(`VIP watcher: ${await this.watcher.assertNeverBoth()}`);
    assert.deepEqual(strayAnswers(this.client.samples()), []);
    for (const [node, kind] of Object.entries(this.kinds)) {
      if (kind !== 'ours') continue;
      const log = readLog(this.lab, node);
      assert.equal((log.match(trouble) ?? []).length, 0, tail(log, 40));
    }
    for (const p of this.ours.values()) await p.stop(15_000);
    this.ours.clear();
  }
}
