// hbts-res: the v1 resource script the fault, safety, metrics tests and the soak use. It keeps its state in the
// node's private /run, so a power cut (wiping that directory) loses it, and the test reads it through the
// node's anchor without entering the namespace.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from './netns.js';

/**
 * `hbts-res NAME start|stop|status`. A start is slow (2 s) when /run/hbts-res/slow exists, and while starting
 * it holds NAME.starting, which status reports as running (as a real service's status would).
 */
export const STATE_RESOURCE = `#!/bin/sh
# hbts-res NAME start|stop|status: state in the node's /run
D=/run/hbts-res
case "$2" in
  start) mkdir -p $D
    if [ -e $D/slow ]; then touch "$D/$1.starting"; sleep 2; fi
    touch "$D/$1.running"; rm -f "$D/$1.starting";;
  stop) rm -f "$D/$1.running" "$D/$1.starting";;
  status) if [ -e "$D/$1.running" ] || [ -e "$D/$1.starting" ]; then echo running; else echo stopped; fi;;
esac
exit 0
`;

/** Writes hbts-res into the node's <ha.d>/resource.d. */
export function installStateResource(lab: Lab, node: string): void {
  fs.writeFileSync(path.join(lab.node(node).haDir, 'resource.d', 'hbts-res'), STATE_RESOURCE, { mode: 0o755 });
}

/** The node's /run/hbts-res, seen from the host through its anchor. */
export function stateResourceDir(lab: Lab, node: string): string {
  return `/proc/${lab.node(node).anchorPid}/root/run/hbts-res`;
}

/** Which of `names` the node runs or is starting, in the order given. */
export function heldResources<T extends string>(lab: Lab, node: string, names: readonly T[]): T[] {
  const d = stateResourceDir(lab, node);
  return names.filter((g) => fs.existsSync(`${d}/${g}.running`) || fs.existsSync(`${d}/${g}.starting`));
}
