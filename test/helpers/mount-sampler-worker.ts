// The mount sampler of shared-disk.ts watchMounts, in a worker thread: the test's own thread blocks at times (log
// reads, process spawns), and the samples must not wait for it. Shared counters: [samples, longest interval ms,
// stop flag, samples with the device mounted somewhere]; each sample with the device mounted on more than one node is posted as "<ms>: alpha+bravo".
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

interface Input {
  readonly device: string;
  /** [node name, pid of a process in its mount namespace] */
  readonly nodes: readonly (readonly [string, number])[];
  readonly everyMs: number;
  readonly shared: SharedArrayBuffer;
}

const { device, nodes, everyMs, shared } = workerData as Input;
const stats = new Int32Array(shared);
const start = Date.now();
let last = start;
const mounted = (pid: number): boolean => {
  try {
    return fs.readFileSync(`/proc/${pid}/mounts`, 'latin1').split('\n').some((l) => l.startsWith(`${device} `));
  } catch {
    return false; // the node's namespace is gone: nothing mounted there
  }
};
const timer = setInterval(() => {
  if (Atomics.load(stats, 2) === 1) {
    clearInterval(timer);
    parentPort?.postMessage('done');
    return;
  }
  const now = Date.now();
  if (now - last > Atomics.load(stats, 1)) Atomics.store(stats, 1, now - last);
  last = now;
  Atomics.add(stats, 0, 1);
  const holders = nodes.filter(([, pid]) => mounted(pid)).map(([n]) => n);
  if (holders.length > 0) Atomics.add(stats, 3, 1);
  if (holders.length > 1) parentPort?.postMessage(`${now - start} ms: ${holders.join('+')}`);
}, everyMs);
