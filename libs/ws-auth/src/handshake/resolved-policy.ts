import type { GuardedGateway } from '../gateways/gateway-policy.explorer.js';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';
import type { SocketTransport } from '../connection/socket-transport.js';

/** An authenticated gateway's policy with its sources resolved, built once per server. */
export interface ResolvedPolicy {
  readonly gateway: GuardedGateway;
  readonly sources: readonly WsCredentialSource[];
  /** The subprotocols the gateway speaks besides `access_token`. */
  readonly protocols: readonly string[];
  /** How the registry and the lifecycle reach the gateway's sockets. */
  readonly transport: SocketTransport;
  /** The gateway's `maxSocketsPerSubject`, else the module's; `undefined`: no limit. */
  readonly maxSocketsPerSubject: number | undefined;
}
