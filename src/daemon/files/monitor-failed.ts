// <state-dir>/monitor-failed: the resource groups the service monitor (issue 17) marked failed on this node.
// One group key per line; read at start-up (the mark survives a daemon restart), rewritten on each change.
import fs from 'node:fs';
import path from 'node:path';
import type { ClusterConfig } from '../../config/model.js';
import type { MonitoredGroup } from '../../resources/monitor.js';

export const MONITOR_FAILED_FILE = 'monitor-failed';

/** The marked group keys; none when the file is missing. Unreadable: none, and `warn` says why. */
export function readMonitorFailed(stateDir: string, warn: (text: string) => void): string[] {
  const file = path.join(stateDir, MONITOR_FAILED_FILE);
  try {
    return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`cannot read ${file}: ${(e as Error).message}; no resource group is taken as failed`);
    return [];
  }
}

export async function writeMonitorFailed(stateDir: string, failed: readonly string[]): Promise<void> {
  const file = path.join(stateDir, MONITOR_FAILED_FILE);
  const tmp = `${file}.tmp`;
  const text = `# resource groups marked failed on this node by the service monitor; "hbctl cleanup" clears them\n${failed.map((k) => `${k}\n`).join('')}`;
  await fs.promises.writeFile(tmp, text, { mode: 0o644 });
  await fs.promises.rename(tmp, file);
}

/** The haresources groups as the monitor sees them: key (first resource), hb_standby set, resources. */
export function monitoredGroups(c: ClusterConfig): MonitoredGroup[] {
  return c.resourceGroups.map((g) => ({
    key: g.resources[0]?.spec ?? `line ${g.line}`,
    set: g.node === c.localNode ? 'local' : 'foreign',
    resources: g.resources.map((r) => r.spec),
  }));
}
