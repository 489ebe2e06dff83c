// Reading /etc/ha.d from disk and the facts of this host, then handing both to the pure config check.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Diagnostic } from '../core/diagnostic.js';
import { checkConfig, type ConfigFile } from '../config/check.js';
import type { HostFacts, PathKind } from '../config/host-facts.js';
import type { ClusterConfig } from '../config/model.js';
import { linkDownReason, takeSnapshot, type LinkFacts, type LinkSnapshot } from '../media/link-facts.js';

export interface LoadConfigOptions {
  readonly configDir: string;
  readonly nodeName?: string | undefined;
}

export interface LoadedConfig {
  readonly nodeName: string;
  readonly config: ClusterConfig | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

function describeError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message ?? e);
}

/** One byte per character (latin1): Heartbeat counts bytes, and keys are byte strings. */
export function readFile(file: string): ConfigFile & { mode: number | undefined } {
  try {
    const text = fs.readFileSync(file, 'latin1');
    return { path: file, text, mode: fs.statSync(file).mode };
  } catch (e) {
    return { path: file, text: undefined, error: describeError(e), mode: undefined };
  }
}

/** heartbeat-ts's optional monitors file: absent when it does not exist (today's behaviour), else read. */
function optionalMonitors(file: string): { monitors?: ConfigFile } {
  if (!fs.existsSync(file)) return {};
  const { mode: _mode, ...f } = readFile(file);
  return { monitors: f };
}

/** Heartbeat's local node name: the first line of <configDir>/nodeinfo, else `uname -n`; lower-cased. */
export function defaultNodeName(configDir: string): string {
  try {
    const first = fs.readFileSync(path.join(configDir, 'nodeinfo'), 'latin1').split('\n')[0]?.trim() ?? '';
    if (first !== '') return first.toLowerCase();
  } catch {
    /* no nodeinfo: use the host name */
  }
  return os.hostname().toLowerCase();
}

function namesIn(file: string): Set<string> {
  try {
    return new Set(fs.readFileSync(file, 'utf8').split('\n').map((l) => l.split(':')[0] ?? '').filter((n) => n !== ''));
  } catch {
    return new Set();
  }
}

/** The real host, read lazily and once per question. */
export function realHostFacts(): HostFacts {
  let links: LinkSnapshot | undefined;
  const link = (name: string): LinkFacts => (links ??= takeSnapshot()).link(name);
  let users: Set<string> | undefined;
  let groups: Set<string> | undefined;
  return {
    // The kernel's view (link-facts.ts), not libuv's: an interface without carrier exists and has its address.
    interfaceExists: (name) => link(name).exists,
    interfaceHasIpv4: (name) => link(name).ipv4.length > 0,
    linkDown: (name) => linkDownReason(link(name)),
    pathKind: (p): PathKind => {
      try {
        const st = fs.statSync(p);
        return st.isCharacterDevice() ? 'char-device' : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
      } catch {
        return 'missing';
      }
    },
    isExecutable: (p) => {
      try {
        fs.accessSync(p, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    userExists: (name) => (users ??= namesIn('/etc/passwd')).has(name),
    groupExists: (name) => (groups ??= namesIn('/etc/group')).has(name),
  };
}

export function loadConfig(options: LoadConfigOptions, host: HostFacts = realHostFacts()): LoadedConfig {
  const nodeName = (options.nodeName ?? defaultNodeName(options.configDir)).toLowerCase();
  const file = (name: string): string => path.join(options.configDir, name);
  const result = checkConfig(
    { haCf: readFile(file('ha.cf')), haresources: readFile(file('haresources')), authkeys: readFile(file('authkeys')), ...optionalMonitors(file('monitors')) },
    nodeName,
    host,
  );
  return { nodeName, config: result.config, diagnostics: result.diagnostics };
}
