import type { GuardedGateway } from '../gateways/gateway-policy.explorer.js';
import type { WsCredentialSource } from '../interfaces/credential-source.interface.js';

/** An authenticated gateway's policy with its sources resolved, built once per server. */
export interface ResolvedPolicy {
  readonly gateway: GuardedGateway;
  readonly sources: readonly WsCredentialSource[];
  /** The subprotocols the gateway speaks besides `access_token`. */
  readonly protocols: readonly string[];
  /** The gateway's `maxSocketsPerSubject`, else the module's; `undefined`: no limit. */
  readonly maxSocketsPerSubject: number | undefined;
}
