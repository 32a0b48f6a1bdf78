import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';
import { freePort } from './free-port.js';

/** The resource indicator (and so the `aud`) of the apps under test. */
export const CHAT_RESOURCE = 'urn:ws-auth:chat';
/** The scopes every resource server of the test issuer offers. */
export const RESOURCE_SCOPES = 'chat:read chat:write';
/** The OAuth client that asks for tokens with the client-credentials grant; its tokens' `sub`. */
export const CLIENT_ID = 'chat-bot';

/** One signing key of the issuer: the private JWK goes to the provider, the tests may sign with it too. */
export interface IssuerKey {
  readonly kid: string;
  /** What the provider signs its access tokens with: RS256 (RFC 9068's must) or ES256. */
  readonly alg: 'RS256' | 'ES256';
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function issuerKey(kid = `key-${randomBytes(4).toString('hex')}`, alg: IssuerKey['alg'] = 'RS256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const meta = { kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

export interface OidcIssuerOptions {
  /** Reuse a port, to restart "the same" issuer. Default: a free one. */
  port?: number;
  /** Default: a new key. Pass the old one to restart with the same keys, a new one to rotate. */
  key?: IssuerKey;
  /** Lifetime of issued access tokens, seconds. Default 300. */
  accessTokenTtlSec?: number;
}

export interface RunningOidcIssuer {
  /** `http://127.0.0.1:PORT`, the `iss` of its tokens. */
  readonly issuer: string;
  readonly port: number;
  readonly key: IssuerKey;
  /** The client secret, so the log audit can look for it. */
  readonly clientSecret: string;
  /** Paths the provider was asked for, in order (`/jwks`, `/token`, ...). */
  readonly requests: string[];
  /** A real client-credentials grant: POST /token with a resource indicator. */
  clientToken(options?: { resource?: string; scope?: string }): Promise<string>;
  /** Signs claims with the issuer's own key and kid, for tokens the provider would not issue (expired...). */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`) on a loopback port, issuing RFC 9068
 * JWT access tokens (`typ: at+jwt`, RS256 or ES256 as its key says) through the client-credentials grant
 * with resource indicators: any absolute URI is a resource server whose
 * audience is that URI and whose scopes are `RESOURCE_SCOPES`.
 */
export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<RunningOidcIssuer> {
  const port = options.port ?? (await freePort());
  const key = options.key ?? (await issuerKey());
  const issuer = `http://127.0.0.1:${port}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const ttl = options.accessTokenTtlSec ?? 300;

  const provider = new Provider(issuer, {
    adapter: MemoryAdapter,
    jwks: { keys: [key.privateJwk] },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        // Its default (RS256) needs an RSA key; an ES256-only provider would refuse the client.
        id_token_signed_response_alg: key.alg,
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => CHAT_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: RESOURCE_SCOPES,
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: ttl,
          jwt: { sign: { alg: key.alg } },
        }),
      },
    },
    ttl: { ClientCredentials: () => ttl },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  });
  const requests: string[] = [];
  provider.use(async (ctx: { path: string }, next: () => Promise<void>) => {
    requests.push(ctx.path);
    await next();
  });

  const server: Server = provider.listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const signingKey = await importJWK(key.privateJwk, key.alg);

  return {
    issuer,
    port,
    key,
    clientSecret,
    requests,
    async clientToken({ resource = CHAT_RESOURCE, scope = RESOURCE_SCOPES } = {}) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (response.status !== 200 || !body.access_token) {
        throw new Error(`The issuer refused a token: ${response.status} ${body.error ?? ''}`);
      }
      return body.access_token;
    },
    sign(claims, header = {}) {
      return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }).sign(signingKey);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * oidc-provider's storage, kept in a Map. The client-credentials grant with
 * JWT access tokens stores nothing; this replaces the built-in one only to keep
 * its "development-only adapter" warning out of the test output.
 */
class MemoryAdapter implements Adapter {
  private static readonly store = new Map<string, AdapterPayload>();

  constructor(private readonly model: string) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    MemoryAdapter.store.set(this.key(id), payload);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return MemoryAdapter.store.get(this.key(id));
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const payload = MemoryAdapter.store.get(this.key(id));
    if (payload) {
      payload.consumed = Math.floor(Date.now() / 1000);
    }
  }

  async destroy(id: string): Promise<void> {
    MemoryAdapter.store.delete(this.key(id));
  }

  async revokeByGrantId(): Promise<void> {}
}
