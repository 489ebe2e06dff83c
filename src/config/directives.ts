// Every ha.cf directive Heartbeat 3.0.6 knows, how it is parsed, and what heartbeat-ts does with it.

/** The paths of ipfail in existing files; when absent, `respawn` runs Debian's /usr/libexec/heartbeat/ipfail if installed. */
export const CLASSIC_IPFAIL_PATHS: readonly string[] = ['/usr/lib/heartbeat/ipfail', '/usr/lib64/heartbeat/ipfail'];
export const BUILTIN_IPFAIL = 'builtin:ipfail';

/** Option directives: the rest of the line is split on blanks and commas, one call per value. */
const OPTION_DIRECTIVES = [
  'cluster', 'node', 'hopfudge', 'keepalive', 'deadtime', 'deadping', 'initdead', 'warntime', 'watchdog', 'baud',
  'udpport', 'logfacility', 'logfile', 'debugfile', 'nice_failback', 'auto_failback', 'rtprio', 'hbgenmethod',
  'realtime', 'debug', 'msgfmt', 'use_logd', 'conn_logd_time', 'use_apphbd', 'log_badpack', 'syslogmsgfmt',
  'coredumps', 'coreroot', 'crm_daemon_dir', 'crmd_spawns_pengine', 'crm', 'pacemaker', 'autojoin', 'uuidfrom',
  'compression', 'compression_threshold', 'traditional_compression', 'env', 'max_rexmit_delay',
  'record_config_changes', 'record_pengine_inputs', 'enable_config_writes', 'memreserve', 'quorum_server',
] as const;

/** Media that take one value per medium (`bcast eth0 eth1` = two media). */
export const MEDIA_PER_TOKEN: ReadonlySet<string> = new Set(['bcast', 'serial', 'ping', 'ping6']);

/** Directives handed the rest of the line verbatim. */
export const WHOLE_LINE: ReadonlySet<string> = new Set([
  'ucast', 'mcast', 'ping_group', 'ucast6', 'mcast6', 'stonith', 'stonith_host', 'apiauth', 'respawn', 'failfast',
]);

export const LEGAL_DIRECTIVES: ReadonlySet<string> = new Set([...OPTION_DIRECTIVES, ...MEDIA_PER_TOKEN, ...WHOLE_LINE]);

export type Support = 'supported' | 'warned' | 'rejected';

export interface DirectiveSupport {
  readonly directive: string;
  readonly support: Support;
  readonly note: string;
}

/**
 * The compatibility table (README.md repeats it; a test keeps the two equal). "supported": parsed and checked
 * exactly as Heartbeat 3.0.6 does, meaning kept; "warned": accepted as Heartbeat accepts it, with a diagnostic
 * saying what it does (or does not do) here; "rejected": refused with an explanation.
 */
export const DIRECTIVE_SUPPORT: readonly DirectiveSupport[] = [
  { directive: 'node', support: 'supported', note: 'names lower-cased; at most 100' },
  { directive: 'keepalive', support: 'supported', note: 'time value; > 0' },
  { directive: 'deadtime', support: 'supported', note: 'must be more than 2 × keepalive' },
  { directive: 'warntime', support: 'supported', note: 'default deadtime / 2' },
  { directive: 'initdead', support: 'supported', note: 'default from deadtime as Heartbeat; must be ≥ deadtime; < 10 s warned' },
  { directive: 'deadping', support: 'supported', note: 'default deadtime; must be more than 2 × keepalive' },
  { directive: 'udpport', support: 'supported', note: 'default 694; after a medium it is warned (the earlier media keep the old port); junk and > 65535 read as Heartbeat reads them, warned' },
  { directive: 'bcast', support: 'supported', note: 'interfaces must exist' },
  { directive: 'ucast', support: 'supported', note: '`ucast IF PEER`; a host name is warned (resolved at start)' },
  { directive: 'mcast', support: 'supported', note: '`mcast IF GROUP PORT TTL LOOP`, checked as Heartbeat checks them' },
  { directive: 'serial', support: 'supported', note: 'absolute path of an existing character device' },
  { directive: 'baud', support: 'supported', note: 'once; 9600 … 460800; after a serial line warned' },
  { directive: 'ping', support: 'supported', note: 'ping nodes; host names warned' },
  { directive: 'ping_group', support: 'supported', note: '`ping_group NAME HOST…`' },
  { directive: 'ucast6', support: 'supported', note: '`ucast6 IF ADDR`: IF must exist, ADDR a unicast IPv6 address (link-local ones go out on IF); port from udpport' },
  { directive: 'mcast6', support: 'supported', note: '`mcast6 IF GROUP PORT HOPS LOOP`, checked as Heartbeat checks them (link, admin, site or organization scope; hops 0–4)' },
  { directive: 'ping6', support: 'supported', note: 'IPv6 ping nodes (addresses only, as Heartbeat)' },
  { directive: 'auto_failback', support: 'supported', note: 'on / off / legacy and every boolean spelling; legacy (the default) warned as Heartbeat warns' },
  { directive: 'nice_failback', support: 'warned', note: 'obsolete; mapped exactly as 3.0.6 maps it (legacy, or off after an auto_failback line)' },
  { directive: 'respawn', support: 'supported', note: '`respawn USER /abs/program [args]`, run after comm-up as USER with Heartbeat\'s back-off; /usr/lib{,64}/heartbeat/ipfail, when absent, runs heartbeat-ts\'s own ipfail (name /usr/libexec/heartbeat/ipfail to run Debian\'s)' },
  { directive: 'failfast', support: 'supported', note: 'as respawn; dying abnormally (a signal, or a non-zero exit outside shutdown) runs the reboot command (`--reboot-command`, default /sbin/reboot -nf as Heartbeat); a child our own shutdown ends does not reboot (Heartbeat 3.0.6 does)' },
  { directive: 'apiauth', support: 'supported', note: '`apiauth CLIENT uid=… gid=…`; users and groups must exist; duplicates refused; enforced as Heartbeat enforces it, with its defaults for unnamed clients (ipfail and ccm uid=hacluster, anon uid=root gid=haclient, …), checked against the credentials the kernel gives for each connection' },
  { directive: 'hopfudge', support: 'supported', note: '0 … 255' },
  { directive: 'msgfmt', support: 'supported', note: 'classic or netstring' },
  { directive: 'compression', support: 'supported', note: 'zlib or bz2' },
  { directive: 'compression_threshold', support: 'supported', note: 'KiB > 0' },
  { directive: 'traditional_compression', support: 'supported', note: 'boolean' },
  { directive: 'max_rexmit_delay', support: 'supported', note: 'ms > 0' },
  { directive: 'uuidfrom', support: 'supported', note: 'file or nodename' },
  { directive: 'hbgenmethod', support: 'supported', note: 'file or time' },
  { directive: 'cluster', support: 'supported', note: 'recorded' },
  { directive: 'debug', support: 'supported', note: '0 … 255; SIGUSR1/SIGUSR2 raise/lower it while running, as Heartbeat; debug lines go to debugfile and syslog only' },
  { directive: 'logfile', support: 'supported', note: 'path; every line but debug, Heartbeat\'s format, appended (O_APPEND: logrotate\'s copytruncate is safe); reopened on SIGHUP and when renamed away (checked about once a minute, "log-rotate detected on logfile …", as cluster-glue)' },
  { directive: 'debugfile', support: 'supported', note: 'path; every line, debug included; reopened like logfile' },
  { directive: 'logfacility', support: 'supported', note: 'syslog facility or none; lines go to /dev/log (`--syslog-socket` elsewhere) as `heartbeat: [pid]: level: text`, through one util-linux `logger` child fed by a pipe: never blocks the daemon, lines are dropped and counted (reported at stop) when the receiver is gone or too slow' },
  { directive: 'use_logd', support: 'supported', note: 'boolean; off with no other log target refused, as Heartbeat does. There is no logd: heartbeat-ts writes ha.cf\'s logfile/debugfile/logfacility itself (what Heartbeat does when logd is not running); with no target in ha.cf (Heartbeat\'s default: everything through logd) lines go to syslog facility daemon, logd\'s default' },
  { directive: 'conn_logd_time', support: 'supported', note: 'time value > 0' },
  { directive: 'log_badpack', support: 'supported', note: 'boolean' },
  { directive: 'syslogmsgfmt', support: 'supported', note: 'boolean' },
  { directive: 'env', support: 'supported', note: '`env NAME=value` → HA_NAME=value for scripts and children' },
  { directive: 'autojoin', support: 'supported', note: 'none only: other/any conflict with haresources, refused as Heartbeat refuses them' },
  { directive: 'watchdog', support: 'supported', note: 'once; opened at start, a NUL byte written per own heartbeat, the magic close `V` on a clean stop only; a missing or unopenable device is a start-up error (Heartbeat runs on unprotected); the driver\'s timeout applies (Heartbeat sets deadtime)' },
  { directive: 'coredumps', support: 'supported', note: 'boolean' },
  { directive: 'coreroot', support: 'supported', note: 'directory' },
  { directive: 'crm', support: 'rejected', note: 'off/no/false accepted; any "on" value refused: heartbeat-ts runs haresources mode' },
  { directive: 'pacemaker', support: 'rejected', note: 'as crm' },
  { directive: 'stonith', support: 'supported', note: '`stonith TYPE FILE`: a dead peer that may hold resources is reset with cluster-glue\'s `stonith -t TYPE -F FILE -T reset` before the takeover; `stonith result=OK/badhost/bad` sent; failures retried every 5 s; the last stonith/stonith_host line wins' },
  { directive: 'stonith_host', support: 'supported', note: '`stonith_host HOST TYPE PARAMS…` (HOST may be `*`): as stonith, with `stonith -p "PARAMS…"`; lines for other hosts ignored as Heartbeat ignores them' },
  { directive: 'realtime', support: 'warned', note: 'boolean checked; no effect (Node.js does not run SCHED_FIFO or mlock)' },
  { directive: 'rtprio', support: 'warned', note: '1 … 99 checked; no effect' },
  { directive: 'memreserve', support: 'warned', note: 'KiB > 0 checked; no effect' },
  { directive: 'use_apphbd', support: 'warned', note: 'boolean checked; no effect (no apphbd)' },
  { directive: 'quorum_server', support: 'warned', note: 'v2 only; no effect' },
  { directive: 'crm_daemon_dir', support: 'warned', note: 'Pacemaker only; no effect' },
  { directive: 'crmd_spawns_pengine', support: 'warned', note: 'Pacemaker only; no effect' },
  { directive: 'record_config_changes', support: 'warned', note: 'Pacemaker only; boolean checked, no effect' },
  { directive: 'record_pengine_inputs', support: 'warned', note: 'Pacemaker only; boolean checked, no effect' },
  { directive: 'enable_config_writes', support: 'warned', note: 'Pacemaker only; boolean checked, no effect' },
  { directive: 'udp', support: 'warned', note: 'old name of bcast, replaced with a warning as Heartbeat does' },
  { directive: 'normalpoll', support: 'rejected', note: 'not a directive of 3.0.6 (compiled out): "unknown directive", as Heartbeat' },
];
