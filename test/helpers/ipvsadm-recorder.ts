// A recording stand-in for ipvsadm where the kernel has no IPVS: keeps the virtual service table in a JSON file,
// answers `-L -n` (and `--thresholds`) in ipvsadm's own layout so ldirectord reads back what it built, and appends
// every call to a log. Usage: ipvsadm-recorder TABLE_JSON CALL_LOG ipvsadm-arguments…
// Supported: -A/-E (-t|-u ADDR:PORT | -f MARK) [-s SCHED] [-p [T]], -D, -C, -a/-e (… -r ADDR:PORT [-g|-i|-m]
// [-w W]), -d (… -r ADDR:PORT), -L|-l [-n] [--thresholds]. Anything else exits 2 with a message, so a call
// ldirectord makes that this stand-in does not know fails loudly instead of being recorded as done.
import fs from 'node:fs';

interface Real {
  forward: 'Route' | 'Tunnel' | 'Masq';
  weight: number;
}
interface Service {
  proto: 'TCP' | 'UDP' | 'FWM';
  scheduler: string;
  persistent?: number;
  reals: Record<string, Real>;
}
export type Table = Record<string, Service>;

function fail(msg: string): never {
  process.stderr.write(`ipvsadm (test stand-in): ${msg}\n`);
  process.exit(2);
}

/** Applies one ipvsadm command line to the table; returns the text to print (for -L). */
export function applyIpvsadm(table: Table, args: readonly string[]): string {
  let cmd = '';
  let service: { key: string; proto: Service['proto'] } | undefined;
  let real: string | undefined;
  let scheduler: string | undefined;
  let persistent: number | undefined;
  let forward: Real['forward'] | undefined;
  let weight: number | undefined;
  let thresholds = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const next = (): string => args[++i] ?? fail(`${a} needs a value`);
    switch (a) {
      case '-A': case '-E': case '-D': case '-C': case '-a': case '-e': case '-d': case '-L': case '-l':
        cmd = a === '-l' ? '-L' : a;
        break;
      case '-t': service = { key: `TCP ${next()}`, proto: 'TCP' }; break;
      case '-u': service = { key: `UDP ${next()}`, proto: 'UDP' }; break;
      case '-f': service = { key: `FWM ${next()}`, proto: 'FWM' }; break;
      case '-r': real = next(); break;
      case '-s': scheduler = next(); break;
      case '-p': {
        const v = args[i + 1];
        persistent = v !== undefined && /^\d+$/.test(v) ? Number(args[++i]) : 300;
        break;
      }
      case '-g': forward = 'Route'; break;
      case '-i': forward = 'Tunnel'; break;
      case '-m': forward = 'Masq'; break;
      case '-w': weight = Number(next()); break;
      case '-n': break;
      case '--thresholds': thresholds = true; break;
      case '-x': case '-y': next(); break; // connection thresholds: accepted, not modelled
      default: if (a !== '') fail(`option ${a} not simulated`);
    }
  }
  const svc = (): Service => {
    if (service === undefined) fail(`${cmd} needs a service`);
    const s = table[service.key];
    if (s === undefined) fail(`no such service ${service.key}`);
    return s;
  };
  switch (cmd) {
    case '-A':
      if (service === undefined) fail('-A needs a service');
      if (table[service.key] !== undefined) fail(`service ${service.key} exists`);
      table[service.key] = { proto: service.proto, scheduler: scheduler ?? 'wlc', ...(persistent !== undefined ? { persistent } : {}), reals: {} };
      return '';
    case '-E': {
      const s = svc();
      if (scheduler !== undefined) s.scheduler = scheduler;
      if (persistent !== undefined) s.persistent = persistent;
      return '';
    }
    case '-D':
      svc();
      delete table[service?.key ?? ''];
      return '';
    case '-C':
      for (const k of Object.keys(table)) delete table[k];
      return '';
    case '-a': case '-e': {
      const s = svc();
      if (real === undefined) fail(`${cmd} needs -r`);
      const old = s.reals[real];
      if (cmd === '-a' && old !== undefined) fail(`real ${real} exists`);
      if (cmd === '-e' && old === undefined) fail(`no real ${real}`);
      s.reals[real] = { forward: forward ?? old?.forward ?? 'Route', weight: weight ?? old?.weight ?? 1 };
      return '';
    }
    case '-d': {
      const s = svc();
      if (real === undefined || s.reals[real] === undefined) fail(`no real ${real ?? '(none)'}`);
      delete s.reals[real];
      return '';
    }
    case '-L': case '':
      return listing(table, thresholds);
    default:
      return fail(`command ${cmd} not simulated`);
  }
}

function listing(table: Table, thresholds: boolean): string {
  const lines = [
    'IP Virtual Server version 1.2.1 (size=4096)',
    'Prot LocalAddress:Port Scheduler Flags',
    thresholds ? '  -> RemoteAddress:Port           Uthreshold Lthreshold ActiveConn InActConn' : '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
  ];
  for (const [key, s] of Object.entries(table)) {
    const addr = key.slice(4);
    lines.push(`${s.proto}  ${addr} ${s.scheduler}${s.persistent !== undefined ? ` persistent ${s.persistent}` : ''}`);
    for (const [r, v] of Object.entries(s.reals)) {
      lines.push(thresholds ? `  -> ${r.padEnd(28)} 0          0          0          0` : `  -> ${r.padEnd(28)} ${v.forward.padEnd(7)} ${String(v.weight).padEnd(6)} 0          0`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function main(argv: readonly string[]): void {
  const [tableFile, callLog, ...args] = argv;
  if (tableFile === undefined || callLog === undefined) fail('usage: ipvsadm-recorder TABLE_JSON CALL_LOG args…');
  let table: Table = {};
  try {
    table = JSON.parse(fs.readFileSync(tableFile, 'utf8')) as Table;
  } catch {
    // no table yet: an empty kernel table
  }
  fs.appendFileSync(callLog, `${Date.now()} ipvsadm ${args.join(' ')}\n`);
  const out = applyIpvsadm(table, args);
  const tmp = `${tableFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(table));
  fs.renameSync(tmp, tableFile);
  process.stdout.write(out);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) main(process.argv.slice(2));
