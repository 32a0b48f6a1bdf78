import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WsAuthAuditor } from './audit/ws-auth-auditor.js';
import { GatewayPolicyExplorer } from './gateway-policy.explorer.js';
import type { WsAuthModuleAsyncOptions, WsAuthModuleOptions } from './interfaces/ws-auth-options.interface.js';
import { WsAuthenticator } from './ws-auth.authenticator.js';
import { MemorySessionStore } from './sessions/memory-session.store.js';
import { WsConnectionLifecycle } from './sessions/ws-connection.lifecycle.js';
import { WsSessionRegistry } from './sessions/ws-session.registry.js';
import { WsSessionService } from './sessions/ws-session.service.js';
import { WS_AUTH_OPTIONS, WS_AUTH_SESSION_STORE } from './ws-auth.constants.js';
import { TicketService } from './tickets/ticket.service.js';

/**
 * Global module: import it once in the root module and serve the gateways
 * with `WsAuthAdapter`; each is then authenticated at the handshake (with
 * `@WsAuth()` choosing its policy) unless it is marked `@WsPublic()`.
 */
@Module({})
export class WsAuthModule {
  static forRoot(options: WsAuthModuleOptions): DynamicModule {
    return WsAuthModule.assemble([{ provide: WS_AUTH_OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: WsAuthModuleAsyncOptions): DynamicModule {
    return WsAuthModule.assemble(
      [
        { provide: WS_AUTH_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        ...(options.extraProviders ?? []),
      ],
      options.imports,
    );
  }

  private static assemble(optionProviders: Provider[], imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: WsAuthModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: [
        ...optionProviders,
        {
          provide: WS_AUTH_SESSION_STORE,
          useFactory: (options: WsAuthModuleOptions) => options.sessions?.store ?? new MemorySessionStore(),
          inject: [WS_AUTH_OPTIONS],
        },
        WsAuthAuditor,
        GatewayPolicyExplorer,
        WsAuthenticator,
        WsSessionRegistry,
        WsConnectionLifecycle,
        WsSessionService,
        TicketService,
      ],
      exports: [WS_AUTH_OPTIONS, WsAuthenticator, WsSessionService, TicketService],
    };
  }
}
