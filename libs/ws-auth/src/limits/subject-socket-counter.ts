import type { EventEmitter } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import type { WsConnection } from '../connection/ws-connection.js';
import { GatewayPolicyExplorer } from '../gateways/gateway-policy.explorer.js';
import type { ResolvedWsAuthOptions } from '../ws-auth-options.resolver.js';
import { WS_AUTH_OPTIONS } from '../ws-auth.constants.js';

/**
 * How many sockets each subject holds on this instance, for
 * `maxSocketsPerSubject`. A slot is taken when the pipeline decides to
 * authenticate a connection, before the `101`, not when the socket exists:
 * the check and the count are one synchronous step, so of two handshakes of
 * one subject deciding at the same time only one can take the last slot. The
 * slot is given back when the connection's transport socket closes, which
 * covers both a socket that lived and an upgrade that never completed.
 *
 * Nothing is counted while no limit is configured anywhere: an app without
 * limits pays nothing for them.
 */
@Injectable()
export class SubjectSocketCounter {
  private readonly held = new Map<string, number>();
  /** The connection each transport socket holds a slot for. */
  private readonly byTransport = new WeakMap<EventEmitter, WsConnection>();
  /**
   * One close listener for every transport socket (`this` is the socket),
   * as the session registry does: a closure per socket is heap per idle socket.
   */
  private readonly releaseOnClose: (this: EventEmitter) => void;
  private enabled?: boolean;

  constructor(
    @Inject(WS_AUTH_OPTIONS) private readonly options: ResolvedWsAuthOptions,
    private readonly explorer: GatewayPolicyExplorer,
  ) {
    const counter = this;
    this.releaseOnClose = function (this: EventEmitter) {
      const connection = counter.byTransport.get(this);
      if (connection) {
        counter.release(connection);
      }
    };
  }

  /** Whether any limit is set, on the module or on a gateway: then every authenticated socket counts. */
  get counting(): boolean {
    this.enabled ??=
      this.options.maxSocketsPerSubject !== undefined ||
      this.explorer.guardedGateways().some((gateway) => gateway.policy.maxSocketsPerSubject !== undefined);
    return this.enabled;
  }

  /** Sockets the subject holds on this instance (slots taken before their `101` included). */
  count(subject: string): number {
    return this.held.get(subject) ?? 0;
  }

  /**
   * Takes a slot for the connection's subject unless the connection's gateway
   * limit is reached; `false` when it is. `transport` is the connection's
   * underlying socket: its `close` gives the slot back.
   */
  take(connection: WsConnection, subject: string, transport: EventEmitter): boolean {
    if (!this.counting || connection.slot !== undefined) {
      return true;
    }
    const held = this.count(subject);
    const limit = connection.policy.maxSocketsPerSubject;
    if (limit !== undefined && held >= limit) {
      return false;
    }
    this.held.set(subject, held + 1);
    connection.slot = subject;
    this.byTransport.set(transport, connection);
    transport.on('close', this.releaseOnClose);
    return true;
  }

  /** Gives the connection's slot back; a second call does nothing. */
  release(connection: WsConnection): void {
    const subject = connection.slot;
    if (subject === undefined) {
      return;
    }
    connection.slot = undefined;
    const held = this.count(subject) - 1;
    if (held > 0) {
      this.held.set(subject, held);
    } else {
      this.held.delete(subject);
    }
  }
}
