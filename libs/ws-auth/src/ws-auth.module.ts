import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { GatewayPolicyExplorer } from './gateway-policy.explorer.js';
import type { WsAuthModuleAsyncOptions, WsAuthModuleOptions } from './interfaces/ws-auth-options.interface.js';
import { WsAuthenticator } from './ws-auth.authenticator.js';
import { WS_AUTH_OPTIONS } from './ws-auth.constants.js';
import { TicketService } from './tickets/ticket.service.js';

/**
 * Global module: import it once in the root module, then guard gateways with
 * `@UseGuards(WsAuthGuard)` and serve them with `WsAuthAdapter`.
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
      providers: [...optionProviders, GatewayPolicyExplorer, WsAuthenticator, TicketService],
      exports: [WS_AUTH_OPTIONS, WsAuthenticator, TicketService],
    };
  }
}
