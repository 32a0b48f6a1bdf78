import { Injectable, type Type } from '@nestjs/common';
import { APP_GUARD, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { WS_AUTH_POLICY_METADATA, WS_AUTH_PUBLIC_METADATA } from '../ws-auth.constants.js';
import type { WsAuthPolicy } from '../interfaces/ws-auth-options.interface.js';
import { WsAuthConfigurationError } from '../ws-auth-configuration.error.js';
import { WsAuthGuard } from '../ws-auth.guard.js';
import {
  NEST_GATEWAY_METADATA,
  NEST_GATEWAY_OPTIONS,
  NEST_GUARDS_METADATA,
  NEST_PORT_METADATA,
} from './nest-metadata.js';
import { normalizePath } from './normalize-path.js';

/** A gateway the adapter authenticates at the handshake. */
export interface GuardedGateway {
  readonly name: string;
  readonly port: number;
  readonly path: string;
  readonly policy: WsAuthPolicy;
  /**
   * Protected by name (`@WsAuth()`, or `WsAuthGuard` on the class or a handler) rather than
   * by default: such a gateway served by another adapter stops the bootstrap.
   */
  readonly explicit: boolean;
}

/** One gateway as its decorators describe it. */
interface ExploredGateway {
  readonly name: string;
  readonly port: number;
  readonly path: string;
  /** `undefined` for a `@WsPublic()` gateway. */
  readonly guarded?: GuardedGateway;
}

/**
 * Reads the gateways' decorators once and decides which are authenticated at
 * the handshake: every gateway served by `WsAuthAdapter` unless it is marked
 * `@WsPublic()`. The adapter's `create(port, options)` is told a path, not a
 * gateway, hence the lookup by (port, path).
 *
 * Setups that would leave a gateway open, or a guard that can never pass,
 * stop the bootstrap with a `WsAuthConfigurationError` that says what to do.
 */
@Injectable()
export class GatewayPolicyExplorer {
  private explored?: ExploredGateway[];
  private readonly scanner = new MetadataScanner();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  /** The gateways authenticated at the handshake. */
  guardedGateways(): GuardedGateway[] {
    return this.gateways().flatMap((gateway) => (gateway.guarded ? [gateway.guarded] : []));
  }

  /**
   * The policy of a (port, path), or `undefined` when its gateways are public.
   * A path no gateway declares is authenticated with the module's defaults:
   * what is not known to be public never is.
   */
  find(port: number, path: string | undefined): GuardedGateway | undefined {
    const key = normalizePath(path);
    const gateway = this.gateways().find((candidate) => candidate.port === port && candidate.path === key);
    if (!gateway) {
      return { name: `the gateway on ${key}`, port, path: key, policy: {}, explicit: false };
    }
    return gateway.guarded;
  }

  private gateways(): ExploredGateway[] {
    if (!this.explored) {
      const providers = this.discovery.getProviders();
      refuseGlobalWsAuthGuard(providers);
      const gateways = providers.flatMap((wrapper) => {
        const metatype = wrapper.metatype as Type | undefined;
        return metatype && Reflect.getMetadata(NEST_GATEWAY_METADATA, metatype) ? [this.explore(metatype)] : [];
      });
      refuseDisagreeingNeighbours(gateways);
      this.explored = gateways;
    }
    return this.explored;
  }

  private explore(metatype: Type): ExploredGateway {
    const name = metatype.name;
    const options = this.reflector.get<{ path?: string; namespace?: unknown } | undefined>(NEST_GATEWAY_OPTIONS, metatype) ?? {};
    const port: number = this.reflector.get<number | undefined>(NEST_PORT_METADATA, metatype) ?? 0;
    // A Socket.IO gateway is named by its namespace (its `path` is Engine.IO's,
    // shared by every namespace); a `ws` gateway, which has none, by its path.
    const path = normalizePath(typeof options.namespace === 'string' ? options.namespace : options.path);
    const isPublic = this.reflector.get<boolean | undefined>(WS_AUTH_PUBLIC_METADATA, metatype) === true;
    const policy = this.reflector.get<WsAuthPolicy | undefined>(WS_AUTH_POLICY_METADATA, metatype);
    const guardedParts = [
      ...(this.guardsOf(metatype).some(isWsAuthGuard) ? [name] : []),
      ...this.scanner
        .getAllMethodNames(metatype.prototype)
        .filter((method) => this.guardsOf(metatype.prototype[method]).some(isWsAuthGuard))
        .map((method) => `${name}.${method}()`),
    ];

    if (isPublic && policy) {
      throw new WsAuthConfigurationError(
        `${name} has both @WsPublic() and @WsAuth(). Keep @WsAuth() to authenticate its handshakes, ` +
          'or @WsPublic() alone to serve it without authentication.',
      );
    }
    if (isPublic && guardedParts.length > 0) {
      throw new WsAuthConfigurationError(
        `${name} is @WsPublic(), but WsAuthGuard (or a subclass) guards ${guardedParts.join(', ')}. ` +
          'A public gateway does not authenticate its sockets, so that guard could never pass. ' +
          'Remove @WsPublic() to authenticate the gateway at the handshake, or remove the guard.',
      );
    }
    if (isPublic) {
      return { name, port, path };
    }
    const explicit = policy !== undefined || guardedParts.length > 0;
    return { name, port, path, guarded: { name, port, path, policy: policy ?? {}, explicit } };
  }

  private guardsOf(target: object): unknown[] {
    return this.reflector.get<unknown[] | undefined>(NEST_GUARDS_METADATA, target as Type) ?? [];
  }
}

/** `WsAuthGuard` or a subclass, as a class or as an instance (`@UseGuards()` takes both). */
function isWsAuthGuard(guard: unknown): boolean {
  if (typeof guard === 'function') {
    return guard === WsAuthGuard || guard.prototype instanceof WsAuthGuard;
  }
  return guard instanceof WsAuthGuard;
}

/**
 * A global guard runs for HTTP routes too, where `WsAuthGuard` cannot work,
 * and never runs at a handshake, so it cannot protect one.
 */
function refuseGlobalWsAuthGuard(providers: ReturnType<DiscoveryService['getProviders']>): void {
  for (const wrapper of providers) {
    // Nest registers each APP_GUARD provider under `APP_GUARD (UUID: ...)`.
    if (typeof wrapper.token !== 'string' || !wrapper.token.startsWith(APP_GUARD)) {
      continue;
    }
    const instance: unknown = wrapper.instance;
    if (isWsAuthGuard(instance) || (wrapper.inject == null && isWsAuthGuard(wrapper.metatype))) {
      const name = (instance as object | undefined)?.constructor.name ?? (wrapper.metatype as Type).name;
      throw new WsAuthConfigurationError(
        `${name} is registered as APP_GUARD. A global guard also runs on HTTP routes and never at a handshake. ` +
          'Remove it from APP_GUARD: every gateway served by WsAuthAdapter is authenticated at the handshake ' +
          `unless marked @WsPublic(), and @WsAuth() (or @UseGuards(${name}) on the gateway) guards its messages.`,
      );
    }
  }
}

/**
 * Gateways on one (port, path) share one `ws` server, made with the first
 * one's options: they must agree on whether and how it is authenticated.
 */
function refuseDisagreeingNeighbours(gateways: ExploredGateway[]): void {
  const byPath = new Map<string, ExploredGateway>();
  for (const gateway of gateways) {
    const key = `${gateway.port} ${gateway.path}`;
    const first = byPath.get(key);
    if (!first) {
      byPath.set(key, gateway);
      continue;
    }
    const where = `${gateway.path}${gateway.port ? ` (port ${gateway.port})` : ''}`;
    if (!first.guarded !== !gateway.guarded) {
      const [open, guarded] = first.guarded ? [gateway, first] : [first, gateway];
      throw new WsAuthConfigurationError(
        `${first.name} and ${gateway.name} share ${where}, but ${open.name} is @WsPublic() and ${guarded.name} is not. ` +
          'Gateways on one path share one server: give them separate paths, or the same protection.',
      );
    }
    if (first.guarded && gateway.guarded && !samePolicy(first.guarded.policy, gateway.guarded.policy)) {
      throw new WsAuthConfigurationError(
        `${first.name} and ${gateway.name} share ${where} with different @WsAuth() policies; ` +
          'only the first one would apply. Give them separate paths, or the same policy.',
      );
    }
  }
}

/** Equal plain data; functions and class instances (custom sources, verifiers) only by identity. */
function samePolicy(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => samePolicy(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => samePolicy(a[key], b[key]));
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
