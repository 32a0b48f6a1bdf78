import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WsAuthAuditor } from './audit/ws-auth-auditor.js';
import { GatewayPolicyExplorer } from './gateways/gateway-policy.explorer.js';
import type { WsAuthModuleAsyncOptions, WsAuthModuleOptions, WsAuthOptionsFactory } from './interfaces/ws-auth-options.interface.js';
import { resolveWsAuthOptions, type ResolvedWsAuthOptions } from './ws-auth-options.resolver.js';
import { WsAuthConfigurationError } from './ws-auth-configuration.error.js';
import { WsAuthenticator } from './ws-auth.authenticator.js';
import { CredentialJudge } from './handshake/credential-judge.js';
import { HandshakePipeline } from './handshake/handshake.pipeline.js';
import { MemorySessionStore } from './sessions/memory-session.store.js';
import { WsConnectionLifecycle } from './connection/ws-connection.lifecycle.js';
import { FirstMessageAuthentication } from './connection/first-message.authentication.js';
import { WsSessionRegistry } from './sessions/ws-session.registry.js';
import { WsSessionService } from './sessions/ws-session.service.js';
import { WS_AUTH_MODULE_OPTIONS, WS_AUTH_OPTIONS, WS_AUTH_SESSION_STORE } from './ws-auth.constants.js';
import { TicketService } from './tickets/ticket.service.js';
import { WsAuthMetrics } from './metrics/ws-auth-metrics.js';
import { SubjectSocketCounter } from './limits/subject-socket-counter.js';

/**
 * Global module: import it once in the root module and serve the gateways
 * with `WsAuthAdapter`; each is then authenticated at the handshake (with
 * `@WsAuth()` choosing its policy) unless it is marked `@WsPublic()`.
 */
@Module({})
export class WsAuthModule {
  static forRoot(options: WsAuthModuleOptions): DynamicModule {
    return WsAuthModule.assemble([{ provide: WS_AUTH_MODULE_OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: WsAuthModuleAsyncOptions): DynamicModule {
    return WsAuthModule.assemble([...WsAuthModule.asyncOptionProviders(options), ...(options.extraProviders ?? [])], options.imports);
  }

  private static asyncOptionProviders(options: WsAuthModuleAsyncOptions): Provider[] {
    const ways = [options.useFactory, options.useClass, options.useExisting].filter((way) => way !== undefined).length;
    if (ways !== 1) {
      throw new WsAuthConfigurationError('WsAuthModule.forRootAsync() takes exactly one of useFactory, useClass and useExisting');
    }
    if (options.useFactory) {
      return [{ provide: WS_AUTH_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
    }
    const build = (factory: WsAuthOptionsFactory) => factory.createWsAuthOptions();
    if (options.useClass) {
      return [
        { provide: options.useClass, useClass: options.useClass },
        { provide: WS_AUTH_MODULE_OPTIONS, useFactory: build, inject: [options.useClass] },
      ];
    }
    return [{ provide: WS_AUTH_MODULE_OPTIONS, useFactory: build, inject: [options.useExisting!] }];
  }

  private static assemble(optionProviders: Provider[], imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: WsAuthModule,
      global: true,
      imports: [DiscoveryModule, ...imports],
      providers: [
        ...optionProviders,
        // Defaults and checks applied once; every provider below gets the same frozen object.
        { provide: WS_AUTH_OPTIONS, useFactory: resolveWsAuthOptions, inject: [WS_AUTH_MODULE_OPTIONS] },
        {
          provide: WS_AUTH_SESSION_STORE,
          useFactory: (options: ResolvedWsAuthOptions) => options.sessions.store ?? new MemorySessionStore(),
          inject: [WS_AUTH_OPTIONS],
        },
        WsAuthMetrics,
        WsAuthAuditor,
        GatewayPolicyExplorer,
        SubjectSocketCounter,
        CredentialJudge,
        HandshakePipeline,
        WsAuthenticator,
        WsSessionRegistry,
        FirstMessageAuthentication,
        WsConnectionLifecycle,
        WsSessionService,
        TicketService,
      ],
      exports: [WS_AUTH_OPTIONS, WsAuthenticator, WsSessionService, TicketService],
    };
  }
}
