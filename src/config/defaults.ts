// The ha.cf defaults, printed by `heartbeat -D` (a table) and `-W` (wiki rows) exactly as Heartbeat 3.0.6 prints them.

export interface DefaultRow {
  readonly directive: string;
  readonly value: string;
  readonly description: string;
}

/** heartbeat 3.0.6 config.c Directives[]: the entries with a default and a description, in table order. */
export const HA_CF_DEFAULTS: readonly DefaultRow[] = [
  { directive: 'cluster', value: 'linux-ha', description: 'the name of cluster' },
  { directive: 'hopfudge', value: '1', description: '# of hops above cluster size' },
  { directive: 'keepalive', value: '1000ms', description: 'keepalive time' },
  { directive: 'deadtime', value: '30000ms', description: 'node deadtime' },
  { directive: 'baud', value: '19200', description: 'baud rate' },
  { directive: 'auto_failback', value: 'legacy', description: 'auto failback' },
  { directive: 'hbgenmethod', value: 'file', description: 'protocol generation computation method' },
  { directive: 'realtime', value: 'true', description: 'enable realtime behavior?' },
  { directive: 'msgfmt', value: 'classic', description: 'message format in the wire' },
  { directive: 'conn_logd_time', value: '60', description: 'the interval to reconnect to logd' },
  { directive: 'log_badpack', value: 'true', description: 'warn about bad packets' },
  { directive: 'syslogmsgfmt', value: 'true', description: 'log to files in syslog format' },
  { directive: 'coredumps', value: 'true', description: 'enable Linux-HA core dumps' },
  { directive: 'pacemaker', value: 'false', description: 'enable Pacemaker resource management' },
  { directive: 'autojoin', value: 'none', description: 'set automatic join mode/style' },
  { directive: 'uuidfrom', value: 'file', description: 'set the source for uuid' },
  { directive: 'compression', value: 'zlib', description: 'set compression module' },
  { directive: 'compression_threshold', value: '2', description: 'set compression threshold' },
  { directive: 'traditional_compression', value: 'no', description: 'set traditional_compression' },
  { directive: 'max_rexmit_delay', value: '250', description: 'set the maximum rexmit delay time' },
  { directive: 'record_config_changes', value: 'on', description: 'record changes to the cib (valid only with: pacemaker on)' },
  { directive: 'record_pengine_inputs', value: 'on', description: 'record the input used by the policy engine (valid only with: pacemaker on)' },
  { directive: 'enable_config_writes', value: 'on', description: 'write configuration changes to disk (valid only with: pacemaker on)' },
  { directive: 'memreserve', value: '6500', description: 'number of kbytes to preallocate in heartbeat' },
];

/** `heartbeat -D`: "%-24s %-9s %s" rows under a header and a rule of 80 dashes. */
export function formatDefaultsTable(rows: readonly DefaultRow[] = HA_CF_DEFAULTS): string {
  const row = (a: string, b: string, c: string): string => `${a.padEnd(24)} ${b.padEnd(9)} ${c}\n`;
  return row('Directive', 'Default', 'Description') + `${'-'.repeat(80)}\n` + rows.map((r) => row(r.directive, r.value, r.description)).join('');
}

/** "auto_failback" → "AutoFailback": Heartbeat's wiki page names. */
function wikiName(directive: string): string {
  return directive.replace(/^./, (c) => c.toUpperCase()).replace(/_(.)/g, (_m, c: string) => c.toUpperCase());
}

/** `heartbeat -DW`: the same rows as a wiki page, in Heartbeat's format. */
export function formatDefaultsWiki(version: string, rows: readonly DefaultRow[] = HA_CF_DEFAULTS): string {
  return (
    '##Put this output in the ha.cf/DefaultValues page\n' +
    'The [wiki:ha.cf ha.cf] directives with default values are shown below - along with a brief description.\n' +
    `This was produced by {{{heartbeat -DW}}} ''# (version ${version})''\n\n` +
    "||''Directive''||''Default''||''Description''||\n" +
    rows.map((r) => `||[wiki:ha.cf/${wikiName(r.directive)}Directive ${r.directive}]||${r.value}||${r.description}||\n`).join('')
  );
}
