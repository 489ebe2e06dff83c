// The client API socket (Heartbeat's `<run-dir>/register`): apiauth, peer credentials and the daemon's view.
import { ApiServer } from '../../api/server.js';
import { PeerCredentialReader } from '../../api/peer-credentials.js';
import type { ClusterConfig } from '../../config/model.js';
import type { NodeCoordinator } from '../../node/coordinator.js';
import type { Message } from '../../wire/index.js';
import { checkApiAuth, loadApiAuth } from './api-auth.js';
import { daemonApiView, type ApiViewSources } from './api-view.js';
import type { Logger } from '../../logging/logger.js';

export interface ApiSocketOptions {
  readonly path: string;
  readonly logger: Logger;
  readonly sources: ApiViewSources;
  /** A message from a client (or the server itself) for the cluster. */
  readonly onClusterSend: (m: Message) => void;
}

/** Listens on the API socket, with apiauth and SO_PEERCRED checked as Heartbeat checks them (api-auth.ts). */
export function listenApi(o: ApiSocketOptions): Promise<ApiServer> {
  const policy = loadApiAuth(o.sources.config.apiAuth);
  for (const p of policy.problems) o.logger.log('err', p);
  o.logger.log('debug', `apiauth: ${[...policy.rules.values()].map((r) => `${r.client} ${r.text}`).join('; ')}`);
  const credentials = new PeerCredentialReader();
  let server: ApiServer | undefined;
  const listening = ApiServer.listen({
    path: o.path,
    view: daemonApiView(o.sources),
    log: (level, text) => o.logger.log(level, text),
    onClusterSend: o.onClusterSend,
    peerCredentials: (socket) => credentials.read(socket),
    authorize: (client) => {
      const v = checkApiAuth(policy, client);
      if (v.allowed) return undefined;
      // Rate-limited with the handler's refusal line, which counts the refusal.
      if (server !== undefined) server.problem('refused-signon', 'info', v.detail, false);
      else o.logger.log('info', v.detail);
      return v.reason;
    },
  });
  return listening.then((s) => (server = s));
}

/** What the API answers from: the coordinator's membership and resource protocol, the open media, the clocks. */
export function apiSources(
  config: ClusterConfig,
  node: NodeCoordinator,
  media: { names(): ReadonlySet<string> },
  monoMs: () => number,
  startedWallMs: number,
  apiProblems?: () => Readonly<Record<string, number>> | undefined,
): ApiViewSources {
  return {
    config,
    nodes: () => node.membership.nodes(),
    openMedia: () => media.names(),
    resourceState: () => node.resources?.rscStatus(),
    // hbctl status (reqtype hbts-status): last-heard times, generation, who holds which group.
    extended: {
      monoMs,
      wallMs: () => Date.now(),
      startedWallMs,
      lastHeard: () => node.membership.lastHeard(),
      configAgreement: () => node.configAgreement(),
      ...(apiProblems !== undefined ? { apiProblems } : {}),
      monitors: () => node.monitor?.view(),
      peerHolds: () => {
        const st = (node.resources as { readonly status?: { readonly peerHolds?: unknown } } | undefined)?.status;
        return typeof st?.peerHolds === 'string' ? st.peerHolds : undefined;
      },
    },
  };
}
