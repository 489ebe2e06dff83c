// The files Heartbeat keeps in its state directory, in Heartbeat's formats: hb_generation, hb_uuid, hostcache.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { configDigests, configFacts, encodeConfigField } from '../../config/config-digest.js';
import type { ClusterConfig } from '../../config/model.js';
import { Membership, type MembershipOptions } from '../../membership/core.js';

/** heartbeat 3.0.6 IncrGeneration: `"%15lu\n"`, read with sscanf, +1, written with O_SYNC and fsync. */
export function formatGeneration(n: number): string {
  return `${String(n).padStart(15, ' ')}\n`;
}

/** The number at the start of an hb_generation file's first 16 bytes, or undefined. */
export function parseGeneration(text: string): number | undefined {
  const m = /^\s*(\d{1,15})/.exec(text.slice(0, 16));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/**
 * The next generation, persisted before it is used (spec §5.2, pitfall 10): the file's value + 1, or
 * `time(NULL)` + 1 when the file is missing or unreadable; `hbgenmethod time` uses the time directly.
 * Never goes backwards: the result is also larger than any time-based value used before.
 */
export function nextGeneration(stateDir: string, method: 'file' | 'time', nowSec: number = Math.floor(Date.now() / 1000)): number {
  const file = path.join(stateDir, 'hb_generation');
  let previous: number | undefined;
  try {
    previous = parseGeneration(fs.readFileSync(file, 'latin1'));
  } catch {
    previous = undefined;
  }
  const next = method === 'time' ? Math.max(nowSec, (previous ?? 0) + 1) : (previous ?? nowSec) + 1;
  try {
    fs.mkdirSync(stateDir, { recursive: true });
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_SYNC, 0o644);
    try {
      fs.writeSync(fd, formatGeneration(next));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new StateFileError(file, e);
  }
  return next;
}

/** A state file that could not be written (full disk, read-only file system…): names the file and the cause. */
export class StateFileError extends Error {
  constructor(readonly file: string, cause: unknown) {
    super(`cannot write ${file}: ${(cause as Error).message}`);
    this.name = 'StateFileError';
  }
}

/** libuuid's text form of 16 bytes. */
export function uuidText(u: Uint8Array): string {
  const h = Buffer.from(u).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseUuidText(s: string): Uint8Array | undefined {
  const h = s.replace(/-/g, '');
  return /^[0-9a-fA-F]{32}$/.test(h) ? Uint8Array.from(Buffer.from(h, 'hex')) : undefined;
}

/**
 * Our UUID: the 16 raw bytes of hb_uuid, created (random, version 4) when absent. With `uuidfrom nodename`
 * it is derived from the node name instead. Heartbeat derives it with glibc's rand() seeded by a string hash,
 * which is only stable within one glibc build; ours is a SHA-1 of the name, stable everywhere (documented).
 */
export function loadOrCreateUuid(stateDir: string, from: 'file' | 'nodename', nodeName: string): Uint8Array {
  if (from === 'nodename') return Uint8Array.from(crypto.createHash('sha1').update(nodeName).digest().subarray(0, 16));
  const file = path.join(stateDir, 'hb_uuid');
  try {
    const b = fs.readFileSync(file);
    if (b.length >= 16) return Uint8Array.from(b.subarray(0, 16));
  } catch {
    /* absent: create below */
  }
  const fresh = Uint8Array.from(Buffer.from(crypto.randomUUID().replace(/-/g, ''), 'hex'));
  try {
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(file, fresh, { mode: 0o644 });
  } catch (e) {
    throw new StateFileError(file, e);
  }
  return fresh;
}

/** hostcache: `name\tuuid\tweight\tsite\n` per normal node (heartbeat 3.0.6 write_cache_file). */
export function formatHostcache(entries: readonly { readonly name: string; readonly uuid: Uint8Array | undefined }[]): string {
  return entries
    .filter((e) => e.uuid !== undefined)
    .map((e) => `${e.name}\t${uuidText(e.uuid ?? new Uint8Array(16))}\t100\t\n`)
    .join('');
}

export function parseHostcache(text: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const line of text.split('\n')) {
    const [name, uuid] = line.split('\t');
    if (name === undefined || name === '' || uuid === undefined) continue;
    const u = parseUuidText(uuid);
    if (u !== undefined) out.set(name.toLowerCase(), u);
  }
  return out;
}

export function readHostcache(stateDir: string): Map<string, Uint8Array> {
  try {
    return parseHostcache(fs.readFileSync(path.join(stateDir, 'hostcache'), 'latin1'));
  } catch {
    return new Map();
  }
}

/** Written off the heartbeat path: asynchronously, to a temporary file renamed into place. */
export async function writeHostcache(stateDir: string, text: string): Promise<void> {
  const file = path.join(stateDir, 'hostcache');
  const tmp = `${file}.tmp`;
  await fs.promises.writeFile(tmp, text, { mode: 0o644 });
  await fs.promises.rename(tmp, file);
}

/** A membership core for this node: a new generation, its UUID and the host cache from the state directory. */
export function newMembership(c: ClusterConfig, stateDir: string, reloaded: Partial<MembershipOptions> | undefined): Membership {
  return new Membership({
    localNode: c.localNode, nodes: c.nodes, keepaliveMs: c.keepaliveMs, deadtimeMs: c.deadtimeMs, warntimeMs: c.warntimeMs,
    initdeadMs: c.initdeadMs, deadpingMs: c.deadpingMs, hopfudge: c.hopfudge, maxRexmitDelayMs: c.maxRexmitDelayMs, keys: c.authKeys,
    generation: nextGeneration(stateDir, c.hbGenMethod),
    uuid: loadOrCreateUuid(stateDir, c.uuidFrom, c.localNode),
    knownUuids: readHostcache(stateDir),
    seed: crypto.randomInt(1, 2 ** 31),
    configField: encodeConfigField(configDigests(configFacts(c))),
    ...reloaded,
  });
}
