#!/usr/bin/env node
// `cl_status`: Heartbeat 3.0.6's status tool (tools/cl_status.c) on our client library: same output, same exit codes.
/*
 *   exit 0  OK (node active/up/ping, link up, client online, …)     11  bad sub-command, option or argument
 *        1  "normal" failure (node dead, link dead, client offline,  12  no answer within 5 s (its alarm())
 *           parameter unset, cannot sign on)                          13  the request failed ("REASON: …")
 *        2/3 clientstatus: join / leave
 *
 * Replayed faithfully where operators' scripts can see it: option parsing is glibc getopt's (permuting, with its
 * "SUB: invalid option -- 'x'" lines), errors go through cl_log's "Mon DD HH:MM:SS host cl_status: [pid]: ERROR: "
 * prefix, REASON lines carry what the C client library would have in its error buffer, node and link lists
 * come out in the reverse of the server's order (the library prepends each reply), and `numnodes` is not a
 * sub-command (3.0.6's cl_status has none, whatever its man page says).
 */
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { HeartbeatClient, HeartbeatClientError, type LinkEntry, type NodeEntry } from '../api/client.js';
import { runNodeQuery } from './cl-status-node-queries.js';
import {
  attempt,
  cAtoi,
  clLog,
  DEFAULT_TIMEOUT_MS,
  NORMAL_FAIL,
  OK,
  PARAMETER_ERROR,
  simpleOpts,
  TIMEOUT,
  UNKNOWN_ERROR,
  type ClStatusEnv,
  type Session,
} from './cl-status-session.js';
import { getopt } from './glibc-getopt.js';

export type { ClStatusEnv, ClStatusIo } from './cl-status-session.js';

export const CL_STATUS_HELP = `Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
\tShow the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
\tShow the status of a heartbeat link
hbstatus
\tIndicate if heartbeat is running on the local system.
\tOptions:
\t\t-v\tverbose: also add "listnodes -v" output
listnodes [<option>]
\tList the nodes in the cluster.
\tOptions:
\t\t-p\tlist only 'ping' type nodes
\t\t-n\tlist only 'normal' type nodes
\t\t-v\tverbose: also list type and status,
\t\t\tthen add "listhblinks -v" output
listhblinks <node-name>
\tList the network interfaces used as hearbeat links.
\tOptions:
\t\t-v\tverbose: list link status as well
nodestatus <node-name>
\tList the node status.
nodeweight <node-name>
\tList the node weight.
nodesite <node-name>
\tList the node site.
nodetype <node-name>
\tList the nodes of a given type.
rscstatus
\tShow the status of cluster resources.
hbparameter -p <parameter-name>
\tRetrieve the value of a cluster parameter.
\tAs for the valid parameter names, please refer to the man page.
`;

/* ------------------------------------------------------------------ the program */

type Command = (s: Session, args: readonly string[]) => Promise<number>;

const COMMANDS: readonly { readonly name: string; readonly run: Command; readonly needsSignon: boolean }[] = [
  { name: 'hbstatus', run: hbstatus, needsSignon: false },
  { name: 'listnodes', run: listnodes, needsSignon: true },
  { name: 'nodestatus', run: (s, a) => runNodeQuery('nodestatus', s, a), needsSignon: true },
  { name: 'nodeweight', run: (s, a) => runNodeQuery('nodeweight', s, a), needsSignon: true },
  { name: 'nodesite', run: (s, a) => runNodeQuery('nodesite', s, a), needsSignon: true },
  { name: 'nodetype', run: (s, a) => runNodeQuery('nodetype', s, a), needsSignon: true },
  { name: 'listhblinks', run: listhblinks, needsSignon: true },
  { name: 'hblinkstatus', run: hblinkstatus, needsSignon: true },
  { name: 'clientstatus', run: clientstatus, needsSignon: true },
  { name: 'rscstatus', run: rscstatus, needsSignon: true },
  { name: 'hbparameter', run: hbparameter, needsSignon: true },
  { name: 'test', run: testCommand, needsSignon: true },
];

/** Runs cl_status with argv (without node and script); returns the exit status. */
export async function runClStatus(argv: readonly string[], env: ClStatusEnv): Promise<number> {
  if (argv.length === 0 || (argv.length === 1 && argv[0] === '-h')) {
    env.io.out(CL_STATUS_HELP);
    return OK;
  }
  const sub = argv[0] ?? '';
  const cmd = COMMANDS.find((c) => c.name === sub);
  if (cmd === undefined) {
    clLog(env, `${sub}: invalid sub-command.`);
    return PARAMETER_ERROR;
  }
  let hb: HeartbeatClient | undefined;
  let errmsg = '';
  let refusedDeadtime = 0;
  try {
    // The 5 s alarm bounds the run; the library's own timeout must not fire first.
    hb = await HeartbeatClient.connect({ ...(env.socketPath !== undefined ? { socketPath: env.socketPath } : {}), timeoutMs: 4 * DEFAULT_TIMEOUT_MS, pid: env.pid });
  } catch (e) {
    if (!(e instanceof HeartbeatClientError)) throw e;
    errmsg = signonErrmsg(e);
    refusedDeadtime = e.code === 'refused' ? deadtimeOf(e) : 0;
    if (cmd.needsSignon) {
      clLog(env, 'Cannot signon with heartbeat');
      clLog(env, `REASON: ${errmsg}`);
      return NORMAL_FAIL;
    }
  }
  const s: Session = { env, hb, errmsg, human: false };
  try {
    if (hb === undefined) return await hbstatusNotSignedOn(s, argv, refusedDeadtime);
    return await cmd.run(s, argv);
  } finally {
    await hb?.signoff().catch(() => undefined);
  }
}

/** What hb_api_signon leaves in the error buffer. */
function signonErrmsg(e: HeartbeatClientError): string {
  switch (e.code) {
    case 'not-running':
    case 'permission-denied':
      return "hb_api_signon: Can't initiate connection to heartbeat";
    case 'refused':
      return e.reason ?? '';
    case 'closed':
      return '';
    default:
      return e.message;
  }
}

function deadtimeOf(e: HeartbeatClientError): number {
  const f = e.reply?.fields.find((x) => x.name === 'deadtime');
  if (f === undefined || f.type !== 0) return 0;
  const m = /^\s*([0-9a-fA-F]+)/.exec(Buffer.from(f.value).toString('latin1'));
  return m === null ? 0 : Number.parseInt(m[1] ?? '0', 16);
}

async function hbstatusNotSignedOn(s: Session, args: readonly string[], deadtimeMs: number): Promise<number> {
  let verbose = false;
  const g = getopt(args, 'mv', s.env.posixlyCorrect, (l) => s.env.io.err(l));
  for (const o of g.items) if (o.c === 'v') verbose = true;
  let rc: number;
  if (deadtimeMs === 0) {
    s.env.io.out('Heartbeat is stopped on this machine.\n');
    rc = NORMAL_FAIL;
  } else {
    s.env.io.out('Heartbeat is apparently running on this machine, but refuses my connection\n');
    rc = OK;
  }
  if (verbose && s.errmsg !== '') s.env.io.out(`(${s.errmsg})\n`);
  return rc;
}

async function hbstatus(s: Session, args: readonly string[]): Promise<number> {
  let verbose = false;
  const g = getopt(args, 'mv', s.env.posixlyCorrect, (l) => s.env.io.err(l));
  for (const o of g.items) {
    if (o.c === 'm') s.human = true;
    else if (o.c === 'v') verbose = true;
  }
  const out = s.env.io.out;
  if (!verbose) {
    out('Heartbeat is running on this machine.\n');
    return OK;
  }
  const hbversion = await parameterValue(s, 'hbversion');
  const { enabled, value } = await pacemakerEnabled(s);
  if (s.human) {
    out(hbversion !== undefined ? `Heartbeat version ${hbversion}\n` : 'Heartbeat is running on this machine.\n');
    out(enabled ? 'Resources controlled by Pacemaker.\n' : 'Resources controlled by "haresources"\n');
  } else {
    out(`version:\t${hbversion ?? 'unknown'}\n`);
    out(enabled ? `managed by:\tpacemaker\t(${value ?? '(null)'})\n` : 'managed by:\t"haresources"\n');
  }
  // try_to_show_ccm_status: there is no CCM in haresources mode, and it prints nothing without one.
  await listNodes(s, false, false, true);
  return OK;
}

/** get_parameter: hbversion and pacemaker come from the signon reply when it had them. */
async function parameterValue(s: Session, name: string): Promise<string | undefined> {
  const info = s.hb?.signonInfo;
  if (name === 'hbversion' && info?.hbversion !== undefined) return info.hbversion;
  if (name === 'pacemaker' && info?.pacemaker !== undefined) return info.pacemaker;
  return attempt(s, (hb) => hb.parameter(name));
}

/** is_pacemaker_enabled: anything cl_str_to_boolean does not read as false counts as enabled. */
async function pacemakerEnabled(s: Session): Promise<{ enabled: boolean; value: string | undefined }> {
  const value = (await parameterValue(s, 'pacemaker')) ?? (await parameterValue(s, 'crm'));
  const v = value?.toLowerCase();
  const off = v === 'false' || v === 'off' || v === 'no' || v === 'n' || v === '0';
  return { enabled: !off, value };
}

async function listnodes(s: Session, args: readonly string[]): Promise<number> {
  let verbose = false;
  let ping = false;
  let normal = false;
  const g = getopt(args, 'mpnv', s.env.posixlyCorrect, (l) => s.env.io.err(l));
  for (const o of g.items) {
    if (o.c === 'm') s.human = true;
    else if (o.c === 'v') verbose = true;
    else if (o.c === 'p') ping = true;
    else if (o.c === 'n') normal = true;
    else {
      clLog(s.env, `Error: getopt returnedcharacter code ${o.c}.`);
      return PARAMETER_ERROR;
    }
  }
  return listNodes(s, normal, ping, verbose);
}

/** __listnodes */
async function listNodes(s: Session, normalOnly: boolean, pingOnly: boolean, verbose: boolean): Promise<number> {
  const nodes = await attempt(s, (hb) => hb.nodes(), (e) => e.reason ?? '');
  if (nodes === undefined) {
    clLog(s.env, 'Cannot start node walk.');
    clLog(s.env, `REASON: ${s.errmsg}`);
    return UNKNOWN_ERROR;
  }
  if (normalOnly && pingOnly) normalOnly = pingOnly = false;
  if (s.human) s.env.io.out('The nodes are as follow:\n');
  // The library prepends each reply: the walk runs in the reverse of the server's order.
  for (const n of [...nodes].reverse()) {
    if (normalOnly || pingOnly) {
      const type = await typeOf(s, n);
      if (normalOnly && type !== 'normal') continue;
      if (pingOnly && type !== 'ping') continue;
    }
    if (verbose) {
      const status = n.status ?? (await attempt(s, (hb) => hb.nodeStatus(n.name)));
      const type = await typeOf(s, n);
      s.env.io.out(`\n${n.name}\t${status ?? '(null)'}\t(nodetype: ${type ?? '(null)'})\n`);
      await listLinks(s, n.name, true);
    } else s.env.io.out(`${n.name}\n`);
  }
  return OK;
}

/** node_type during a walk: the node list's own answer (3.0.6 caches it), else a request. */
async function typeOf(s: Session, n: NodeEntry): Promise<string | undefined> {
  return n.type ?? (await attempt(s, (hb) => hb.nodeType(n.name)));
}

async function listhblinks(s: Session, args: readonly string[]): Promise<number> {
  let verbose = false;
  const g = getopt(args, 'mv', s.env.posixlyCorrect, (l) => s.env.io.err(l));
  for (const o of g.items) {
    if (o.c === 'm') s.human = true;
    else if (o.c === 'v') verbose = true;
    else {
      clLog(s.env, `Error: getopt returnedcharacter code ${o.c}.`);
      return PARAMETER_ERROR;
    }
  }
  const node = g.positionals()[0];
  if (node === undefined) {
    s.env.io.err('No enough parameter.\n');
    return PARAMETER_ERROR;
  }
  return listLinks(s, node, verbose);
}

/** __listhblinks */
async function listLinks(s: Session, node: string, verbose: boolean): Promise<number> {
  const links = await attempt(s, (hb) => hb.links(node), (e) => e.reason ?? '');
  if (links === undefined) {
    clLog(s.env, 'Cannot start heartbeat link interface walk.');
    clLog(s.env, `REASON: ${s.errmsg}`);
    return UNKNOWN_ERROR;
  }
  if (s.human) s.env.io.out('\tthis node has the following heartbeat links:\n');
  // add_to_iflist: duplicates dropped, each new one prepended.
  const walk: LinkEntry[] = [];
  for (const l of links) if (!walk.some((w) => w.name === l.name)) walk.unshift(l);
  for (const l of walk) {
    if (verbose) {
      const status = l.status ?? (await attempt(s, (hb) => hb.linkStatus(node, l.name)));
      s.env.io.out(`\t${l.name}\t${status ?? '(null)'}\n`);
    } else s.env.io.out(`\t${l.name}\n`);
  }
  return OK;
}

async function hblinkstatus(s: Session, args: readonly string[]): Promise<number> {
  const pos = simpleOpts(s, args);
  if (pos === undefined) return PARAMETER_ERROR;
  const [node, link] = pos;
  if (node === undefined || link === undefined) {
    s.env.io.err('No enough parameter.\n');
    return PARAMETER_ERROR;
  }
  const status = await attempt(s, (hb) => hb.linkStatus(node, link));
  if (status === undefined) {
    clLog(s.env, 'Cannot get heartbeat link status');
    clLog(s.env, `REASON: ${s.errmsg}`);
    return UNKNOWN_ERROR;
  }
  s.env.io.out(s.human ? `The node ${node}'s heartbeat link ${link} is ${status}\n` : `${status}\n`);
  return status === 'up' ? OK : NORMAL_FAIL;
}

async function clientstatus(s: Session, args: readonly string[]): Promise<number> {
  const pos = simpleOpts(s, args);
  if (pos === undefined) return PARAMETER_ERROR;
  const [node, client, timeoutArg] = pos;
  if (node === undefined || client === undefined) {
    s.env.io.err('No enough parameter.\n');
    return PARAMETER_ERROR;
  }
  const timeoutMs = timeoutArg === undefined ? 500 : cAtoi(timeoutArg);
  const status =
    node === ''
      ? ((s.errmsg = 'client status : bad nodename'), undefined)
      : await attempt(
          s,
          // poll() with a negative timeout waits for ever, i.e. until the 5 s alarm.
          (hb) => hb.clientStatus(node, client, timeoutMs < 0 ? 4 * DEFAULT_TIMEOUT_MS : timeoutMs),
          // The C library waits out its timeout for an answer that a refusal never brings.
          () => 'No timely response.',
        );
  if (status === undefined) {
    clLog(s.env, `Cannot get heartbeat client ${client}'s status`);
    clLog(s.env, `REASON: ${s.errmsg}`);
    return UNKNOWN_ERROR;
  }
  s.env.io.out(`${status}\n`);
  switch (status) {
    case 'online':
      return OK;
    case 'offline':
      return NORMAL_FAIL;
    case 'join':
      return 2;
    case 'leave':
      return 3;
    default:
      return UNKNOWN_ERROR;
  }
}

async function rscstatus(s: Session, args: readonly string[]): Promise<number> {
  if (simpleOpts(s, args) === undefined) return PARAMETER_ERROR;
  if ((await pacemakerEnabled(s)).enabled) {
    clLog(s.env, 'Cannot get cluster resource status of a pacemaker cluster; try crm_mon');
    return NORMAL_FAIL;
  }
  const r = await attempt(s, (hb) => hb.resourceState(), (e) => e.reason ?? '');
  if (r === undefined) {
    clLog(s.env, 'Cannot get cluster resource status');
    clLog(s.env, `REASON: ${s.errmsg}`);
    return UNKNOWN_ERROR;
  }
  s.env.io.out(s.human ? `This node is holding ${r} resources.\n` : `${r}\n`);
  return OK;
}

async function hbparameter(s: Session, args: readonly string[]): Promise<number> {
  let name: string | undefined;
  const g = getopt(args, 'mp:', s.env.posixlyCorrect, (l) => s.env.io.err(l));
  for (const o of g.items) {
    if (o.c === 'm') s.human = true;
    else if (o.c === 'p') name = o.arg;
    else {
      clLog(s.env, `Error: getopt returnedcharacter code ${o.c}.`);
      return PARAMETER_ERROR;
    }
  }
  if (name === undefined) {
    clLog(s.env, 'parameter name required');
    return PARAMETER_ERROR;
  }
  const pname = name;
  const value = await parameterValue(s, pname);
  if (value === undefined) {
    clLog(s.env, `Cannot get parameter ${pname}'s value`);
    clLog(s.env, `REASON: ${s.errmsg}`);
    return NORMAL_FAIL;
  }
  s.env.io.out(s.human ? `Heartbeat parameter ${pname}'s value: ${value}\n` : `${value}\n`);
  return OK;
}

/** The undocumented `test` sub-command. */
async function testCommand(s: Session): Promise<number> {
  const info = s.hb?.signonInfo;
  const rsc = await attempt(s, (hb) => hb.resourceState());
  s.env.io.out(`Dead time: ${info?.deadtimeMs ?? 0}\n keeplive time: ${info?.keepaliveMs ?? 0}\n mynodeid: ${info?.localNode ?? '(null)'}\n rsc: ${rsc ?? '(null)'}\n`);
  return OK;
}

/* ------------------------------------------------------------------ entry */

async function main(): Promise<void> {
  const env: ClStatusEnv = {
    io: { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) },
    ...(process.env['HBTS_API_SOCKET'] !== undefined ? { socketPath: process.env['HBTS_API_SOCKET'] } : {}),
    hostname: os.hostname(),
    pid: process.pid,
    now: () => new Date(),
    posixlyCorrect: process.env['POSIXLY_CORRECT'] !== undefined,
  };
  // alarm(5): a daemon that hangs must not hang cl_status.
  const alarm = setTimeout(() => process.exit(TIMEOUT), DEFAULT_TIMEOUT_MS);
  let rc: number;
  try {
    rc = await runClStatus(process.argv.slice(2), env);
  } catch (e) {
    clLog(env, `internal error: ${e instanceof Error ? e.message : String(e)}`);
    rc = UNKNOWN_ERROR;
  }
  clearTimeout(alarm);
  process.exitCode = rc;
}

/** Run as a program (also through npm's bin symlink), not when imported by tests. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
