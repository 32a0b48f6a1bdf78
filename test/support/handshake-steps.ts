import type { IncomingMessage } from 'node:http';
import { WsAuthAuditor } from '../../libs/ws-auth/src/audit/ws-auth-auditor.js';
import { WsConnection } from '../../libs/ws-auth/src/connection/ws-connection.js';
import type { OfferedProtocols } from '../../libs/ws-auth/src/extractors/subprotocol.extractor.js';
import type { GatewayPolicyExplorer } from '../../libs/ws-auth/src/gateways/gateway-policy.explorer.js';
import { CredentialJudge } from '../../libs/ws-auth/src/handshake/credential-judge.js';
import { HandshakePipeline } from '../../libs/ws-auth/src/handshake/handshake.pipeline.js';
import type { ResolvedPolicy } from '../../libs/ws-auth/src/handshake/resolved-policy.js';
import type { WsAuthModuleOptions } from '../../libs/ws-auth/src/interfaces/ws-auth-options.interface.js';
import type { SessionStore } from '../../libs/ws-auth/src/sessions/session-store.interface.js';
import type { FirstMessageAuthentication } from '../../libs/ws-auth/src/connection/first-message.authentication.js';
import type { TicketService } from '../../libs/ws-auth/src/tickets/ticket.service.js';
import { SubjectSocketCounter } from '../../libs/ws-auth/src/limits/subject-socket-counter.js';
import { WsAuthMetrics } from '../../libs/ws-auth/src/metrics/ws-auth-metrics.js';
import { resolveWsAuthOptions } from '../../libs/ws-auth/src/ws-auth-options.resolver.js';
import type { MaybePromise } from '../../libs/ws-auth/src/maybe-promise.js';
import type { WsAuthInfo } from '../../libs/ws-auth/src/interfaces/ws-auth-info.interface.js';

/** A pipeline with real steps; only the first-message authentication (sockets) is a stand-in, with room for pending sockets. */
export function handshakePipeline(options: WsAuthModuleOptions, sessions: SessionStore, explorer: GatewayPolicyExplorer, tickets: TicketService): HandshakePipeline {
  const resolved = resolveWsAuthOptions(options);
  const firstMessage = { acceptsPending: () => true } as unknown as FirstMessageAuthentication;
  const auditor = new WsAuthAuditor(resolved, new WsAuthMetrics(resolved));
  const sockets = new SubjectSocketCounter(resolved, explorer);
  return new HandshakePipeline(resolved, explorer, tickets, new CredentialJudge(resolved, sessions), auditor, firstMessage, sockets);
}

/** As the adapter does: the connection record, the inspect step, then extract, verify and revocation check. */
export function authenticateHandshake(pipeline: HandshakePipeline, request: IncomingMessage, policy: ResolvedPolicy): MaybePromise<WsAuthInfo> {
  const connection = new WsConnection(policy, request.headers.origin);
  pipeline.inspect(connection, request);
  return pipeline.authenticate(connection, request);
}

/** The inspect step alone: the offer as the pipeline read it. */
export function inspectProtocols(pipeline: HandshakePipeline, request: IncomingMessage, policy: ResolvedPolicy): OfferedProtocols {
  const connection = new WsConnection(policy, request.headers.origin);
  pipeline.inspect(connection, request);
  return connection.handshake!.offered!;
}
