// A shared disk for a lab: one ext4 image file on a loop device (the SAN LUN both nodes see), a private
// mount point in each node's own mount namespace, and a sampler of who has it mounted.
//
// Nothing is mounted in the root mount namespace: the file system is built from a directory (`mkfs.ext4 -d`),
// and every mount happens inside a lab node, whose mount namespace is private (netns.ts: `unshare --mount
// --propagation private`), on a tmpfs the test lays over the node's /mnt. Mounts there never propagate to the
// host. The loop device is global (devtmpfs), which is what makes it the LUN both nodes see.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { run, runOk, type Lab } from './netns.js';

/** The mount point inside every node (on the node's private tmpfs over /mnt). */
export const SHARED_MOUNT = '/mnt/ha/www';

export interface SharedDisk {
  /** /dev/loopN */
  readonly device: string;
  /** Unmounts the disk in every node given (best effort), then detaches the loop device. Idempotent. */
  release(nodes: readonly string[]): Promise<void>;
}

/**
 * A 16 MiB ext4 image holding `files` (name -> content), attached to a free loop device. The caller must call
 * release() in its teardown (before or after the lab's; a detach of a still-mounted device is deferred by the
 * kernel until the last unmount, autoclear).
 */
export async function createSharedDisk(lab: Lab, files: Readonly<Record<string, string>>): Promise<SharedDisk> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-lun-'));
  const content = path.join(dir, 'content');
  fs.mkdirSync(content);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(content, name), text, { mode: 0o644 });
  const image = path.join(dir, 'lun.img');
  fs.writeFileSync(image, '');
  fs.truncateSync(image, 16 * 1024 * 1024);
  await runOk(['mkfs.ext4', '-q', '-F', '-L', 'hbts-www', '-d', content, image], { timeoutMs: 30_000 });
  const attach = await runOk(['losetup', '--find', '--show', image], { timeoutMs: 10_000 });
  const device = attach.stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`losetup gave ${JSON.stringify(device)}`);
  let released = false;
  return {
    device,
    release: async (nodes) => {
      if (released) return;
      released = true;
      const problems: string[] = [];
      for (const n of nodes) {
        try {
          // Unmount every stacked mount of the device at the mount point (a node may have mounted it twice).
          for (let i = 0; i < 5 && mountedIn(lab, n, device); i++) await lab.exec(n, ['umount', SHARED_MOUNT], { timeoutMs: 10_000 });
          if (mountedIn(lab, n, device)) problems.push(`${device} still mounted in ${n}`);
        } catch {
          // the node's namespace is gone: its mounts went with it
        }
      }
      const d = await run(['losetup', '-d', device], { timeoutMs: 10_000 });
      if (d.exitCode !== 0) problems.push(`losetup -d ${device}: ${d.stderr.trim()}`);
      fs.rmSync(dir, { recursive: true, force: true });
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  };
}

/**
 * Gives each node a private tmpfs over /mnt with an empty SHARED_MOUNT directory (the node's view of
 * `/ha/www`). The tmpfs lives in the node's private mount namespace only.
 */
export async function prepareMountPoint(lab: Lab, node: string): Promise<void> {
  const r = await lab.exec(node, ['/bin/sh', '-c', `mount -t tmpfs -o mode=0755,size=1m hbts-mnt /mnt && mkdir -p ${SHARED_MOUNT}`], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new Error(`mount point in ${node}: ${r.stderr}`);
}

/** Whether `device` is mounted in the node's mount namespace (read from the host through its anchor's /proc). */
export function mountedIn(lab: Lab, node: string, device: string): boolean {
  const anchor = lab.node(node).anchorPid;
  if (anchor === undefined) throw new Error(`node ${node} is not isolated`);
  const mounts = fs.readFileSync(`/proc/${anchor}/mounts`, 'latin1');
  return mounts.split('\n').some((l) => l.startsWith(`${device} `));
}

export interface MountWatch {
  /** Samples taken so far. */
  readonly count: () => number;
  /** Samples with the device mounted on more than one node ("<ms>: alpha+bravo"). */
  readonly doubles: string[];
  /** The longest interval between two samples so far, ms (the sampler's lateness on a loaded machine). */
  readonly maxIntervalMs: () => number;
  /** Samples that saw the device mounted on some node (the sampler's own check: it does see mounts). */
  readonly mountedSamples: () => number;
  /** Stops sampling; resolves once every sample's verdict has arrived. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Samples every `everyMs`, in a worker thread (test/helpers/mount-sampler-worker.ts), whether each node has
 * `device` mounted (a read of its anchor's /proc/PID/mounts, no process per sample) and records every sample
 * where more than one node has it.
 */
export function watchMounts(lab: Lab, device: string, nodes: readonly string[], everyMs = 10): MountWatch {
  const shared = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  const stats = new Int32Array(shared);
  const doubles: string[] = [];
  const pids = nodes.map((n) => [n, lab.node(n).anchorPid ?? 0] as const);
  const worker = new Worker(new URL('./mount-sampler-worker.js', import.meta.url), { workerData: { device, nodes: pids, everyMs, shared } });
  let finished: Promise<void> | undefined;
  const done = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: string) => {
      if (m === 'done') resolve();
      else doubles.push(m);
    });
    worker.on('error', reject);
    worker.on('exit', () => resolve());
  });
  return {
    count: () => Atomics.load(stats, 0),
    doubles,
    maxIntervalMs: () => Atomics.load(stats, 1),
    mountedSamples: () => Atomics.load(stats, 3),
    stop: () => {
      finished ??= (async () => {
        Atomics.store(stats, 2, 1);
        const timeout = new Promise<void>((r) => setTimeout(r, 2000));
        await Promise.race([done, timeout]);
        await worker.terminate();
      })();
      return finished;
    },
  };
}

/** Until the node has (or has not) the device mounted, sampling every 20 ms; resolves with the time it took. */
export async function untilMounted(lab: Lab, node: string, device: string, want: boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (mountedIn(lab, node, device) !== want) {
    if (Date.now() - start > timeoutMs) throw new Error(`${device} ${want ? 'not mounted' : 'still mounted'} in ${node} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

/**
 * A stand-in for `drbdadm` (this kernel has no DRBD module, so the real drbdadm cannot drive a device): the roles
 * of one replicated resource kept as one file per node in `stateDir` (a host directory both nodes see), with
 * DRBD's single-primary rule — `primary` is refused (exit 11, DRBD's wording) while another node is Primary.
 * Every call is appended to `stateDir`/calls as "NODE ARGS -> RESULT". Bound over /usr/sbin/drbdadm (the
 * /sbin/drbdadm Debian's drbddisk calls) in the node's private mount namespace only.
 */
export function drbdadmStandIn(stateDir: string): string {
  return `#!/bin/sh
# test stand-in for drbdadm (no DRBD in this kernel): roles in ${stateDir}/<node>.role
D=${stateDir}
me=$(hostname)
cmd=$1; res=$2
own() { cat "$D/$me.role" 2>/dev/null || echo Secondary; }
peer() { for f in "$D"/*.role; do [ -e "$f" ] || continue; [ "$f" = "$D/$me.role" ] && continue; cat "$f"; return; done; echo Unknown; }
case "$cmd" in
  primary)
    for f in "$D"/*.role; do
      [ -e "$f" ] || continue; [ "$f" = "$D/$me.role" ] && continue
      if [ "$(cat "$f")" = Primary ]; then
        echo "$me primary $res -> refused" >> "$D/calls"
        echo "$res: State change failed: (-1) Multiple primaries not allowed by config" >&2; exit 11
      fi
    done
    echo Primary > "$D/$me.role"; echo "$me primary $res -> ok" >> "$D/calls";;
  secondary) echo Secondary > "$D/$me.role"; echo "$me secondary $res -> ok" >> "$D/calls";;
  role) echo "$(own)/$(peer)";;
  *) echo "drbdadm stand-in: $cmd not simulated" >&2; exit 20;;
esac
`;
}

/** Installs the drbdadm stand-in in the node (bind mount over /usr/sbin/drbdadm in its mount namespace). */
export async function installDrbdadmStandIn(lab: Lab, node: string, stateDir: string): Promise<void> {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, 'drbdadm');
  fs.writeFileSync(file, drbdadmStandIn(stateDir), { mode: 0o755 });
  const r = await lab.exec(node, ['mount', '--bind', file, '/usr/sbin/drbdadm'], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new Error(`drbdadm stand-in in ${node}: ${r.stderr}`);
}
