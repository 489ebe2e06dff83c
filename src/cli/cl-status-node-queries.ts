// cl_status's one-node sub-commands (nodestatus, nodeweight, nodesite, nodetype): one table, one runner.
import { attempt, NORMAL_FAIL, OK, PARAMETER_ERROR, simpleOpts, type Session } from './cl-status-session.js';

interface NodeQuery {
  /** tools/cl_status.c's words when the node argument is missing (nodetype's differ). */
  readonly missing: string;
  /** … and when the library call fails (nodeweight's differ). */
  readonly failed: string;
  /** The answer, or undefined for the C library's failure value (NULL; -1 for a weight). */
  readonly ask: (s: Session, node: string) => Promise<string | undefined>;
  readonly human: (node: string, value: string) => string;
  readonly exit: (value: string) => number;
}

const NOT_ENOUGH = 'Not enough parameters.\n';
const BAD_NODE = 'Error. May be due to incorrect node name\n';

const QUERIES = {
  nodestatus: {
    missing: NOT_ENOUGH,
    failed: BAD_NODE,
    ask: (s, node) => attempt(s, (hb) => hb.nodeStatus(node)),
    human: (node, v) => `The cluster node ${node} is ${v}`,
    exit: (v) => (v === 'active' || v === 'up' || v === 'ping' ? OK : NORMAL_FAIL),
  },
  nodeweight: {
    missing: NOT_ENOUGH,
    failed: 'Error. Maybe due to incorrect node name.\n',
    ask: async (s, node) => {
      const weight = (await attempt(s, (hb) => hb.nodeWeight(node))) ?? -1;
      return weight === -1 ? undefined : String(weight);
    },
    human: (node, v) => `The weight of the cluster node ${node} is ${v}`,
    exit: () => OK,
  },
  nodesite: {
    missing: NOT_ENOUGH,
    failed: BAD_NODE,
    ask: (s, node) => attempt(s, (hb) => hb.nodeSite(node)),
    human: (node, v) => `The site of the cluster node ${node} is ${v}`,
    exit: () => OK,
  },
  nodetype: {
    missing: 'No enough parameter.\n',
    failed: BAD_NODE,
    ask: (s, node) => attempt(s, (hb) => hb.nodeType(node)),
    human: (node, v) => `The node ${node}'s type: ${v}`,
    exit: () => OK,
  },
} as const satisfies Record<string, NodeQuery>;

export type NodeQueryName = keyof typeof QUERIES;

export async function runNodeQuery(name: NodeQueryName, s: Session, args: readonly string[]): Promise<number> {
  const q: NodeQuery = QUERIES[name];
  const pos = simpleOpts(s, args);
  if (pos === undefined) return PARAMETER_ERROR;
  const node = pos[0];
  if (node === undefined) {
    s.env.io.err(q.missing);
    return PARAMETER_ERROR;
  }
  const value = await q.ask(s, node);
  if (value === undefined) {
    s.env.io.err(q.failed);
    return PARAMETER_ERROR;
  }
  s.env.io.out(s.human ? `${q.human(node, value)}\n` : `${value}\n`);
  return q.exit(value);
}
