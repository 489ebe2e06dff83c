// NOTES.txt: what has no equivalent in Pacemaker (and what to do instead), what changes, and the migration runbook.
import { DEFAULT_APIAUTH } from '../config/ha-cf.js';
import type { ClusterConfig } from '../config/model.js';
import { hasIpfail, pingHosts } from './build.js';
import type { MonitorSpec } from './monitors.js';
import type { PacemakerModel } from './model.js';
import { HOME_SCORE, STICKINESS_FAILBACK, STICKINESS_STAY } from './model.js';
import { tokenTimes } from './render-corosync.js';

export interface NotesInput {
  readonly config: ClusterConfig;
  readonly model: PacemakerModel;
  readonly monitors: readonly MonitorSpec[];
  readonly warnings: readonly string[];
  readonly header: readonly string[];
}

function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of text.split(' ')) {
    if (cur !== '' && indent.length + cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur === '' ? w : `${cur} ${w}`;
  }
  if (cur !== '') lines.push(cur);
  return lines.map((l, i) => (i === 0 ? `${indent.slice(0, -2)}- ${l}` : `${indent}${l}`));
}

/** Directives and features that Pacemaker + Corosync do not carry over, each with what to do instead. */
export function noEquivalents(config: ClusterConfig, monitors: readonly MonitorSpec[]): string[] {
  const out: string[] = [];
  for (const m of config.media) {
    if (m.kind === 'serial') out.push(`serial ${m.device}: Corosync has no serial links. Use a second network link instead (a crossover cable with addresses on both ends becomes a second knet link: add an interface and ring1_addr lines)`);
  }
  if (config.media.some((m) => m.kind === 'mcast' || m.kind === 'mcast6')) out.push('mcast, mcast6: knet links are unicast UDP (port 5405 and up); the multicast group is not used');
  if (config.watchdog !== undefined) out.push(`watchdog ${config.watchdog}: use sbd (package sbd) with the watchdog device, SBD_WATCHDOG_DEV=${config.watchdog} in /etc/default/sbd, and stonith-watchdog-timeout; Pacemaker then self-fences a node that hangs`);
  for (const r of config.respawn) {
    if (r.program === 'builtin:ipfail' || r.program.endsWith('/ipfail')) {
      if (pingHosts(config).length === 0) out.push('respawn ipfail: no ping nodes, so nothing to convert');
      continue;
    }
    out.push(`respawn ${r.user} ${r.command}: Pacemaker does not start API clients. Run it as a systemd service (User=${r.user}, Restart=always), or as a cloned ocf:heartbeat:anything resource if it must follow the cluster`);
  }
  const written = config.apiAuth.filter((a) => !DEFAULT_APIAUTH.includes(a)).map((a) => a.client);
  if (written.length > 0) out.push(`apiauth ${written.join(', ')}: there is no client API to authorise; Pacemaker's tools use the haclient group and ACLs (acl_target, acl_role in the CIB)`);
  if (config.respawn.some((r) => r.failfast)) out.push('respawn with failfast: the reboot on a client failure has no equivalent; use sbd or a fence on a failed resource (on-fail=fence)');
  if (pingHosts(config).length > 0 && !hasIpfail(config)) out.push(`ping nodes ${pingHosts(config).join(', ')} without ipfail: in Heartbeat they were only watched, so they are not converted. To move the resources on loss of connectivity, add an ocf:pacemaker:ping clone and a rule on the "pingd" attribute`);
  if (config.media.some((m) => m.kind === 'ping_group') && hasIpfail(config)) out.push('ping_group: ocf:pacemaker:ping counts every reachable host (pingd = 1000 x hosts reached); a ping_group counted as one node reachable through any of its hosts. The rule only asks for at least one');
  out.push('rc.d hooks and harc (/etc/ha.d/rc.d, resource notifications): use Pacemaker alerts (an alert agent such as /usr/share/pacemaker/alerts/alert_file.sh.sample, configured with "pcs alert create" or an <alerts> section)');
  if (config.env.size > 0) out.push(`env ${[...config.env.keys()].join(', ')}: Heartbeat passed these to every script as HA_<name>; agents take parameters instead, and systemd units take Environment=`);
  if (config.logFile !== undefined || config.debugFile !== undefined || config.logFacility !== undefined) {
    out.push('logfile, debugfile, logfacility: Corosync logs as corosync.conf says (/var/log/corosync/corosync.log and syslog), Pacemaker to /var/log/pacemaker/pacemaker.log and the journal (PCMK_logfacility in /etc/default/pacemaker)');
  }
  out.push(`keepalive ${config.keepaliveMs} ms, warntime ${config.warntimeMs} ms, initdead ${config.initdeadMs} ms: no direct counterparts. The token replaces keepalive and deadtime (see corosync.conf); two_node implies wait_for_all, which replaces initdead (both nodes must be up the first time)`);
  out.push('authkeys: Corosync has its own key: run corosync-keygen on one node and copy /etc/corosync/authkey (mode 0400) to the other');
  for (const m of monitors) {
    if (m.check !== undefined) out.push(`monitors line ${m.line}: check=${m.check}: Pacemaker checks with the agent's own monitor; for a custom check, write an OCF agent (or use ocf:heartbeat:apache's statusurl/testregex for web checks)`);
    if (m.fall > 1) out.push(`monitors line ${m.line}: fall=${m.fall}: Pacemaker acts on the first failed monitor; the agent must ride out short failures itself`);
  }
  return out;
}

function runbook(config: ClusterConfig, model: PacemakerModel): string[] {
  const names = model.nodes.map((n) => n.name);
  const home = model.groups.find((g) => !g.stopped)?.home ?? names[0] ?? 'alpha';
  const backup = names.find((n) => n !== home) ?? home;
  const fenced = model.fencing.length > 0;
  const steps: string[][] = [
    ['Check these files and fill every placeholder; keep this directory (it is the new configuration).'],
    [`On both nodes: apt-get install pacemaker corosync pacemaker-cli-utils resource-agents (plus crmsh or pcs if you use crm.txt or pcs.sh), then stop what the packages started: systemctl disable --now pacemaker corosync`],
    [`On both nodes: copy corosync.conf to /etc/corosync/corosync.conf. On ${backup}: corosync-keygen, then copy /etc/corosync/authkey to ${home} (chmod 0400, owner root)`],
    [`On ${backup}, the node that does not hold the resources (cl_status rscstatus says "none"; otherwise run hb_standby there first): service heartbeat stop; systemctl disable heartbeat. ${home} keeps serving`],
    [`On ${backup}: systemctl start corosync pacemaker. Alone, it has no quorum yet (two_node waits for both nodes), so it starts nothing. Load the configuration and freeze it: cibadmin --replace --xml-file cib.xml (or crm configure load update crm.txt, or sh pcs.sh); crm_attribute --type crm_config --name maintenance-mode --update true; crm_verify -L -V`],
    [`The move (the only outage): on ${home}: service heartbeat stop (its resources stop, nothing of the cluster runs there now). Then on ${backup}: corosync-cmapctl -s quorum.cancel_wait_for_all u8 1 (this node alone is quorate now: what "pcs quorum unblock" does); stonith_admin --confirm ${home} (tells Pacemaker that ${home} runs nothing, so it is not fenced at startup); crm_attribute --type crm_config --name maintenance-mode --update false. ${backup} starts the groups; check with crm_mon -1 and from a client`,
      ...(fenced ? [`Fencing is enabled: without the stonith_admin --confirm, ${backup} resets ${home} when it first has quorum without it (startup-fencing)`] : [])],
    [`On ${home}: systemctl disable heartbeat; systemctl start corosync pacemaker. It joins; ${config.autoFailback === 'off'
      ? `the groups stay on ${backup} (stickiness ${STICKINESS_STAY} > home preference ${HOME_SCORE}); crm resource move GROUP ${home} (then crm resource clear GROUP) when convenient`
      : `the groups go back to ${home} (stickiness ${STICKINESS_FAILBACK} < home preference ${HOME_SCORE}): a second short outage. To choose the moment, set resource-stickiness to ${STICKINESS_STAY} first and back to ${STICKINESS_FAILBACK} later`}`],
    ['On both nodes: crm_mon -1 shows both online; systemctl enable corosync pacemaker; remove heartbeat-ts (apt purge heartbeat-ts) once you are content. To go back before that: stop pacemaker and corosync on a node and start heartbeat there'],
  ];
  return steps.flatMap((s, i) => [...wrap(`${i + 1}. ${s[0] ?? ''}`, '     ').map((l) => l.replace(/^ {3}- /, '  ')), ...s.slice(1).flatMap((t) => wrap(t, '       '))]);
}

export function renderNotes(input: NotesInput): string {
  const { config, model } = input;
  const { tokenMs, consensusMs } = tokenTimes(config.deadtimeMs);
  const out: string[] = [...input.header, ''];
  out.push(`Cluster "${model.clusterName}": ${model.nodes.map((n) => n.name).join(', ')}; ${model.groups.length} group(s): ${model.groups.map((g) => `${g.id} (${g.members.map((p) => p.id).join(', ')}) on ${g.home}`).join('; ') || 'none'}`, '');
  out.push('WARNINGS');
  const warnings = [...input.warnings];
  if (model.fencing.length === 0) {
    warnings.unshift('No STONITH device in ha.cf: stonith-enabled=false. Without fencing, a pair whose link fails runs the resources on BOTH nodes (two VIP holders, a shared disk mounted twice), and Pacemaker cannot recover a resource that fails to stop. Configure a fence device (fence_ipmilan, fence_virsh, sbd …) and set stonith-enabled=true before production');
  }
  out.push(...(warnings.length > 0 ? warnings.flatMap((w) => wrap(w, '    ')) : ['  (none)']), '');
  out.push('NO EQUIVALENT IN PACEMAKER (and what to do instead)');
  out.push(...noEquivalents(config, input.monitors).flatMap((t) => wrap(t, '    ')), '');
  out.push('WHAT CHANGES');
  const failback = config.autoFailback === 'off'
    ? `auto_failback off: resource-stickiness ${STICKINESS_STAY} per resource, above the home preference ${HOME_SCORE}: a group stays where it runs`
    : `auto_failback ${config.autoFailback}: resource-stickiness ${STICKINESS_FAILBACK}, below the home preference ${HOME_SCORE}: a group goes back to its home node when it returns` +
      (config.autoFailback === 'legacy' ? ' (legacy meant "on" unless the other node was too old to know auto_failback; Pacemaker has one policy, so it is converted as on)' : '');
  const changes = [
    failback,
    `Failure detection: token ${tokenMs} ms + consensus ${consensusMs} ms, about deadtime ${config.deadtimeMs} ms (corosync.conf).`,
    'Every resource gets "op monitor" (every 10 s, 20 s timeout, or as the monitors file says): Heartbeat v1 never checked a running resource; Pacemaker restarts a failed one, and moves its group after migration-threshold failures.',
    'A resource that fails to stop makes Pacemaker fence the node (or, without fencing, stop managing the resource).',
    'Tools: crm_mon -1 (status), crm resource move/clear or pcs resource move (hb_takeover / hb_standby), crm node standby NODE (hb_standby all), crm_resource --cleanup (after a failure).',
  ];
  out.push(...changes.flatMap((t) => wrap(t, '    ')), '');
  out.push('RUNBOOK: migrating this pair with one node serving throughout', ...runbook(config, model), '');
  return `${out.join('\n')}\n`;
}
