import { Inject, Injectable } from '@nestjs/common';
import { WS_AUTH_SESSION_STORE } from '../ws-auth.constants.js';
import { WsAuthMetrics } from '../metrics/ws-auth-metrics.js';
import type { SessionEvent } from './session-event.js';
import type { SessionStore } from './session-store.interface.js';

/**
 * Ends login sessions everywhere: their tokens and tickets are refused at
 * every handshake (and by `WsAuthenticator.authenticate`, so HTTP endpoints
 * can refuse them too), and their open sockets close with 4403 on every
 * instance that shares the store.
 */
@Injectable()
export class WsSessionService {
  constructor(
    @Inject(WS_AUTH_SESSION_STORE) private readonly store: SessionStore,
    private readonly metrics: WsAuthMetrics,
  ) {}

  /**
   * Revokes one login session (`sid`). `expiresAt` (epoch ms): when the last
   * token of the session expires; the revocation is forgotten then.
   */
  revokeSession(sessionId: string, expiresAt: number): Promise<void> {
    return this.publish({ type: 'revoke-session', sessionId, expiresAt });
  }

  /**
   * Revokes every session of a subject issued until now ("log out
   * everywhere"). `maxTokenLifetimeSec`: how long tokens issued before now may
   * still be presented.
   */
  revokeSubject(subject: string, maxTokenLifetimeSec: number): Promise<void> {
    const revokedAt = Date.now();
    return this.publish({ type: 'revoke-subject', subject, revokedAt, expiresAt: revokedAt + maxTokenLifetimeSec * 1000 });
  }

  /** Closes a session's sockets (4403) on every instance, without refusing its tokens. */
  disconnectSession(sessionId: string): Promise<void> {
    return this.publish({ type: 'disconnect-session', sessionId });
  }

  /** Closes a subject's sockets (4403) on every instance, without refusing its tokens. */
  disconnectSubject(subject: string): Promise<void> {
    return this.publish({ type: 'disconnect-subject', subject });
  }

  /** Counted once the store took it: a publish that failed reached no instance. */
  private async publish(event: SessionEvent): Promise<void> {
    await this.store.publish(event);
    this.metrics.published(event);
  }
}
