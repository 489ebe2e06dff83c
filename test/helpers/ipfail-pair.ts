// An ipfail pair in a lab: each node runs heartbeat-ts or Heartbeat 3.0.6, with our ipfail or Debian's, one group
// `alpha IPaddr2::198.51.100.100/24/eth0`, the lab's br0 (198.51.100.1) as the ping node; cutting the ping node
// from a node's view (nftables drops its echo replies in that node's namespace).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Lab, StartedProcess } from './netns.js';
import { startOurHeartbeat } from './our-heartbeat.js';
import { PAIR_KEY } from './pair-config.js';
import { readLog, startRealHeartbeat, tail, waitForLog, writeRealConfig } from './real-heartbeat.js';
import { lookupUser } from '../../src/daemon/children/respawn.js';
import { OUR_IPFAIL } from '../../src/daemon/children/client-children.js';

export const IPFAIL_VIP = '198.51.100.100';
export const PING_NODE = '198.51.100.1';
export const REAL_IPFAIL = '/usr/libexec/heartbeat/ipfail';
/** What old ha.cf files name; absent on Debian bookworm, so heartbeat-ts runs its own ipfail for it. */
export const CLASSIC_IPFAIL = '/usr/lib/heartbeat/ipfail';
const NFT_TABLE = 'hbts_ipfail';

export type Kind = 'ours' | 'real';

export interface IpfailNode {
  readonly daemon: Kind;
  readonly ipfail: Kind;
}

export interface IpfailTimers {
  readonly keepalive: string;
  readonly warntime: string;
  readonly deadtime: string;
  readonly initdead: string;
  readonly deadping: string;
}

export const SHORT_TIMERS: IpfailTimers = { keepalive: '200ms', warntime: '500ms', deadtime: '1', initdead: '2', deadping: '2' };

/**
 * The respawn line: our daemon runs ours for the classic path; the real daemon runs ours through node (it needs an
 * executable first word); Debian's under either by its own path.
 */
export function respawnLine(n: IpfailNode): string {
  if (n.ipfail === 'real') return `respawn hacluster ${REAL_IPFAIL}`;
  return n.daemon === 'ours' ? `respawn hacluster ${CLASSIC_IPFAIL}` : `respawn hacluster ${process.execPath} ${OUR_IPFAIL}`;
}

/**
 * ha.cf (bcast eth0, sha1, auto_failback on, the timers), authkeys, haresources (`alsoRun`: more resources after the
 * address, e.g. ` httpd::/etc/ha.d/httpd.conf`); the ipfail cores directory.
 */
export function writeIpfailNode(lab: Lab, node: string, n: IpfailNode, timers: IpfailTimers = SHORT_TIMERS, alsoRun = ''): void {
  const hacluster = lookupUser(fs.readFileSync('/etc/passwd', 'latin1'), 'hacluster');
  assert.ok(hacluster !== undefined, 'no user hacluster');
  const extra = [`deadping ${timers.deadping}`, `ping ${PING_NODE}`, respawnLine(n), 'apiauth ipfail gid=haclient uid=hacluster'];
  writeRealConfig(lab, node, { nodes: ['alpha', 'bravo'], method: 'sha1', key: PAIR_KEY, ...timers, extra });
  // Our daemon runs its own IPaddr2 (Debian's OCF wrapper is the real daemon's).
  if (n.daemon === 'ours') fs.rmSync(path.join(lab.node(node).haDir, 'resource.d', 'IPaddr2'), { force: true });
  fs.writeFileSync(path.join(lab.node(node).haDir, 'haresources'), `alpha IPaddr2::${IPFAIL_VIP}/24/eth0${alsoRun}\n`);
  // The lab copies /var/lib/heartbeat without owners; Debian's ipfail changes into cores/hacluster.
  const cores = path.join(lab.node(node).varLibDir, 'cores', 'hacluster');
  fs.mkdirSync(cores, { recursive: true });
  fs.chownSync(cores, hacluster.uid, hacluster.gid);
}

/**
 * Starts the node's daemon (ours: `heartbeat -f`, returned once up; real: daemonizes, the lab's teardown kills it;
 * returned at its comm-up, so that a real pair started one after the other skips the simultaneous start's
 * fixed 10 s wait).
 */
export async function startIpfailNode(lab: Lab, node: string, n: IpfailNode): Promise<StartedProcess | undefined> {
  if (n.daemon === 'ours') return startOurHeartbeat(lab, node);
  await startRealHeartbeat(lab, node, 20_000);
  return undefined;
}

/** Lines ipfail wrote (either implementation logs as `ipfail: [pid]: LEVEL: text`). */
export function ipfailLines(lab: Lab, node: string, from = 0): string[] {
  return readLog(lab, node)
    .slice(from)
    .split('\n')
    .filter((l) => / ipfail: \[\d+\]: /.test(l));
}

const BALANCED = /ipfail: \[\d+\]: info: Ping node count is balanced\./;

/** Until the two ipfails have compared counts once (whichever signed on second asks the other). */
export async function untilIpfailsTalk(lab: Lab, timeoutMs: number): Promise<void> {
  await waitForLog(lab, 'alpha', (l) => BALANCED.test(l) || BALANCED.test(readLog(lab, 'bravo')), 'ipfail comparing ping node counts', timeoutMs);
}

/** The nftables table and chain cutPing fills (idempotent); then cutting is one command (benchmarks time it). */
export async function preparePingCut(lab: Lab, node: string): Promise<void> {
  for (const args of [
    ['add', 'table', 'ip', NFT_TABLE],
    ['add', 'chain', 'ip', NFT_TABLE, 'in', '{ type filter hook input priority 0 ; }'],
  ]) {
    const r = await lab.exec(node, ['nft', ...args], { timeoutMs: 5000 });
    assert.equal(r.exitCode, 0, `${node}: nft ${args.join(' ')}: ${r.stderr}`);
  }
}

/** Drops the ping node's echo replies in the node's namespace: from its view the ping node is gone. */
export async function cutPing(lab: Lab, node: string, prepared = false): Promise<void> {
  if (!prepared) await preparePingCut(lab, node);
  const args = ['add', 'rule', 'ip', NFT_TABLE, 'in', 'ip', 'saddr', PING_NODE, 'icmp', 'type', 'echo-reply', 'drop'];
  const r = await lab.exec(node, ['nft', ...args], { timeoutMs: 5000 });
  assert.equal(r.exitCode, 0, `${node}: nft ${args.join(' ')}: ${r.stderr}`);
}

/** Undoes cutPing: the whole table, or (keepTable) only its rule. No error if there is nothing to undo. */
export async function restorePing(lab: Lab, node: string, keepTable = false): Promise<void> {
  await lab.exec(node, ['nft', ...(keepTable ? ['flush', 'chain', 'ip', NFT_TABLE, 'in'] : ['delete', 'table', 'ip', NFT_TABLE])], { timeoutMs: 5000 });
}

/** "node 198.51.100.1: is dead" in the node's log after `from`. */
export function pingDeclaredDead(lab: Lab, node: string, from: number): boolean {
  return readLog(lab, node).slice(from).includes(`node ${PING_NODE}: is dead`);
}

export function logTails(lab: Lab): string {
  return `alpha:\n${tail(readLog(lab, 'alpha'), 40)}\nbravo:\n${tail(readLog(lab, 'bravo'), 40)}`;
}
