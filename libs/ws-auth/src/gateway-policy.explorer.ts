import { Injectable, type Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { normalizePath } from './normalize-path.js';
import { DiscoveryService } from '@nestjs/core';
import { GATEWAY_METADATA, GATEWAY_OPTIONS, PORT_METADATA } from '@nestjs/websockets/constants.js';
import { WS_AUTH_POLICY_METADATA } from './ws-auth.constants.js';
import type { WsAuthPolicy } from './interfaces/ws-auth-options.interface.js';
import { WsAuthGuard } from './ws-auth.guard.js';

/** A gateway the adapter must authenticate at the handshake. */
export interface GuardedGateway {
  readonly name: string;
  readonly port: number;
  readonly path: string;
  readonly policy: WsAuthPolicy;
}

/**
 * Finds the gateways guarded with `WsAuthGuard` at class level. The adapter's
 * `create(port, options)` is told a path but not the gateway, so the guarded
 * set is read from the gateways' own metadata, once.
 */
@Injectable()
export class GatewayPolicyExplorer {
  private guarded?: GuardedGateway[];

  constructor(private readonly discovery: DiscoveryService) {}

  guardedGateways(): GuardedGateway[] {
    this.guarded ??= this.explore();
    return this.guarded;
  }

  /** The policy of a (port, path), when any gateway served there is guarded. */
  find(port: number, path: string | undefined): GuardedGateway | undefined {
    const key = normalizePath(path ?? '/');
    return this.guardedGateways().find((gateway) => gateway.port === port && gateway.path === key);
  }

  private explore(): GuardedGateway[] {
    const found: GuardedGateway[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as Type | undefined;
      if (!metatype || !Reflect.getMetadata(GATEWAY_METADATA, metatype)) {
        continue;
      }
      const policy: WsAuthPolicy | undefined = Reflect.getMetadata(WS_AUTH_POLICY_METADATA, metatype);
      const guards: unknown[] = Reflect.getMetadata(GUARDS_METADATA, metatype) ?? [];
      const isGuarded = guards.some((guard) => guard === WsAuthGuard || guard instanceof WsAuthGuard);
      if (!isGuarded) {
        if (policy) {
          throw new Error(
            `ws-auth: ${metatype.name} has @WsAuth() but no @UseGuards(WsAuthGuard); ` +
              'add the guard, or its sockets would be accepted without a credential',
          );
        }
        continue;
      }
      const options = Reflect.getMetadata(GATEWAY_OPTIONS, metatype) ?? {};
      found.push({
        name: metatype.name,
        port: Reflect.getMetadata(PORT_METADATA, metatype) ?? 0,
        path: normalizePath(options.path ?? '/'),
        policy: policy ?? {},
      });
    }
    return found;
  }
}
