// What the config checks need to know about the host, injected so that the parsers stay pure and testable.

export type PathKind = 'missing' | 'file' | 'directory' | 'char-device' | 'other';

export interface HostFacts {
  /** Network interfaces present (bcast checks the name, as Heartbeat's plugin does). */
  readonly interfaceExists: (name: string) => boolean;
  /** The interface has an IPv4 address (mcast needs one: Heartbeat asks SIOCGIFADDR). */
  readonly interfaceHasIpv4: (name: string) => boolean;
  /**
   * Why the interface cannot carry traffic right now ("no carrier", "interface is administratively down"), or
   * undefined when it can. Heartbeat starts regardless; the check only warns.
   */
  readonly linkDown: (name: string) => string | undefined;
  readonly pathKind: (path: string) => PathKind;
  /** access(path, X_OK): true for executable files and for searchable directories, as in Heartbeat. */
  readonly isExecutable: (path: string) => boolean;
  readonly userExists: (name: string) => boolean;
  readonly groupExists: (name: string) => boolean;
}

/** A host with nothing on it but what the caller lists: for tests and for checking files meant for another machine. */
export function fakeHost(facts: {
  readonly interfaces?: readonly string[];
  /** Interfaces (also listed in interfaces) that exist without carrier. */
  readonly noCarrier?: readonly string[];
  readonly files?: Readonly<Record<string, PathKind | 'executable'>>;
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
}): HostFacts {
  const interfaces = new Set(facts.interfaces ?? ['lo', 'eth0']);
  const noCarrier = new Set(facts.noCarrier ?? []);
  const files = facts.files ?? {};
  const users = new Set(facts.users ?? ['root', 'hacluster']);
  const groups = new Set(facts.groups ?? ['root', 'haclient']);
  const kind = (p: string): PathKind => {
    const k = files[p];
    return k === undefined ? 'missing' : k === 'executable' ? 'file' : k;
  };
  return {
    interfaceExists: (n) => interfaces.has(n),
    interfaceHasIpv4: (n) => interfaces.has(n),
    linkDown: (n) => (noCarrier.has(n) ? 'no carrier' : undefined),
    pathKind: kind,
    isExecutable: (p) => files[p] === 'executable' || files[p] === 'directory',
    userExists: (n) => users.has(n),
    groupExists: (n) => groups.has(n),
  };
}
