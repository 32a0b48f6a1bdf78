import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { WsAuthError } from '../ws-auth.errors.js';
import { isAccessTokenType } from './access-token-header.js';
import { IssuerVerifier, type IssuerVerifierOptions } from './issuer.verifier.js';
import { settle } from '../../../../test/support/settle.js';

/**
 * The verifier answers synchronously once it holds the issuer's keys; these
 * specs read every answer as a promise, whichever way it came.
 */
class PromisedIssuerVerifier<T> extends IssuerVerifier<T> {
  override verify(token: string) {
    return settle(() => super.verify(token));
  }
}

const AUDIENCE = 'urn:ws-auth:test';
const now = () => Math.floor(Date.now() / 1000);

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A stand-in issuer on loopback: a discovery document and a JWKS, each
 * request counted, with switches for the ways an issuer fails.
 */
class FakeIssuer {
  issuer = '';
  keys: SigningKey[] = [];
  /** `ok`, `error` (500), `hang` (never answers), `reset` (drops the connection). */
  mode: 'ok' | 'error' | 'hang' | 'reset' = 'ok';
  /** When set, `mode` applies to this path alone; the others answer normally. */
  failOnly?: string;
  /** Overrides the `issuer` of the discovery document. */
  advertisedIssuer?: string;
  readonly requests: string[] = [];
  private server?: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      const mode = this.failOnly === undefined || this.failOnly === req.url ? this.mode : 'ok';
      if (mode === 'hang') {
        return; // closed by stop()
      }
      if (mode === 'reset') {
        req.socket.destroy();
        return;
      }
      if (mode === 'error') {
        res.writeHead(500).end();
        return;
      }
      const body =
        req.url === '/.well-known/openid-configuration'
          ? { issuer: this.advertisedIssuer ?? this.issuer, jwks_uri: `${this.issuer}/jwks` }
          : req.url === '/jwks'
            ? { keys: this.keys.map((key) => key.jwk) }
            : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  count(path: string): number {
    return this.requests.filter((url) => url === path).length;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

describe('IssuerVerifier', () => {
  let rsa: SigningKey;
  let ec: SigningKey;
  let idp: FakeIssuer;
  const verifiers: IssuerVerifier[] = [];

  const verifier = (options: Partial<IssuerVerifierOptions> = {}) => {
    const created = new PromisedIssuerVerifier({ issuer: idp.issuer, audience: AUDIENCE, ...options });
    verifiers.push(created);
    return created;
  };
  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: idp.issuer,
    sub: 'service-a',
    aud: AUDIENCE,
    client_id: 'service-a',
    scope: 'chat:read chat:write',
    iat: now(),
    exp: now() + 300,
    jti: 'jti-1',
    ...overrides,
  });
  const sign = (payload: Record<string, unknown>, key: SigningKey = rsa, header: Record<string, unknown> = {}) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header })
      .sign(key.privateKey);
  const refusal = async (work: Promise<unknown>): Promise<string> => {
    const error = await work.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof WsAuthError)) {
      throw new Error(`Expected a WsAuthError, got ${String(error)}`);
    }
    return error.code;
  };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    [rsa, ec] = await Promise.all([signingKey('rsa-1'), signingKey('ec-1', 'ES256')]);
  });
  afterAll(() => {
    Logger.overrideLogger(new Logger());
  });
  beforeEach(async () => {
    idp = await new FakeIssuer().start();
    idp.keys = [rsa, ec];
  });
  afterEach(async () => {
    await idp.stop();
  });

  describe('a valid access token', () => {
    it('is accepted with its sub, scopes, expiry and an IssuerPrincipal', async () => {
      const payload = claims();
      await expect(verifier().verify(await sign(payload))).resolves.toEqual({
        subject: 'service-a',
        sessionId: undefined,
        scopes: ['chat:read', 'chat:write'],
        expiresAt: payload.exp * 1000,
        issuedAt: payload.iat * 1000,
        principal: {
          issuer: idp.issuer,
          subject: 'service-a',
          clientId: 'service-a',
          scopes: ['chat:read', 'chat:write'],
          claims: payload,
        },
      });
    });

    it('is accepted with ES256 (on the default allowlist)', async () => {
      await expect(verifier().verify(await sign(claims(), ec))).resolves.toMatchObject({ subject: 'service-a' });
    });

    it('is accepted when aud is a list that names this server', async () => {
      const token = await sign(claims({ aud: ['urn:other', AUDIENCE] }));
      await expect(verifier().verify(token)).resolves.toMatchObject({ subject: 'service-a' });
    });

    it('is accepted by a verifier configured with several audiences, one of them the token’s', async () => {
      const token = await sign(claims());
      await expect(verifier({ audience: ['urn:other', AUDIENCE] }).verify(token)).resolves.toMatchObject({ subject: 'service-a' });
    });

    it('builds the principal with toPrincipal when given', async () => {
      const custom = new PromisedIssuerVerifier({ issuer: idp.issuer, audience: AUDIENCE, toPrincipal: (verified) => ({ who: verified.sub }) });
      await expect(custom.verify(await sign(claims()))).resolves.toMatchObject({ principal: { who: 'service-a' } });
    });
  });

  describe('keys held per kid, verified with crypto.verify', () => {
    /** A JWS signed with Node's crypto, for keys jose would refuse to sign with. */
    const signRaw = (header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject) => {
      const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      return `${input}.${cryptoSign('sha256', Buffer.from(input), key).toString('base64url')}`;
    };

    it('answers synchronously once it holds the keys, with no further request to the issuer', async () => {
      const plain = new IssuerVerifier({ issuer: idp.issuer, audience: AUDIENCE });
      const first = plain.verify(await sign(claims()));
      expect(first).toBeInstanceOf(Promise); // the first one fetches the keys
      await first;
      const fetches = idp.count('/jwks');
      const second = plain.verify(await sign(claims({ jti: 'jti-2' })));
      expect(second).not.toBeInstanceOf(Promise);
      expect(second).toMatchObject({ subject: 'service-a' });
      const es = plain.verify(await sign(claims({ jti: 'jti-3' }), ec));
      expect(es).toMatchObject({ subject: 'service-a' });
      expect(idp.count('/jwks')).toBe(fetches);
    });

    it('refuses synchronously a forged signature once it holds the keys', async () => {
      const plain = new IssuerVerifier({ issuer: idp.issuer, audience: AUDIENCE });
      await plain.verify(await sign(claims()));
      const [header, payload, signature] = (await sign(claims({ jti: 'jti-2' }))).split('.');
      const forged = `${header}.${payload}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
      expect(() => plain.verify(forged)).toThrow(expect.objectContaining({ code: 'invalid_token' }));
    });

    it('refuses a token without kid when several keys of its alg could have signed it, as jose does, also with the keys in hand', async () => {
      const other = await signingKey('rsa-2');
      idp.keys = [other, rsa, ec];
      const plain = verifier();
      await expect(refusal(plain.verify(await sign(claims(), rsa, { kid: undefined })))).resolves.toBe('invalid_token');
      await expect(plain.verify(await sign(claims(), rsa))).resolves.toMatchObject({ subject: 'service-a' });
      await expect(refusal(plain.verify(await sign(claims({ jti: 'again' }), rsa, { kid: undefined })))).resolves.toBe('invalid_token');
    });

    it('accepts a token without kid when one key of its alg fits', async () => {
      await expect(verifier().verify(await sign(claims(), rsa, { kid: undefined }))).resolves.toMatchObject({ subject: 'service-a' });
    });

    it('never verifies with an RSA key under 2048 bits that the JWKS carries', async () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      idp.keys = [{ kid: 'weak', alg: 'RS256', privateKey: undefined as never, jwk: { ...(weak.publicKey.export({ format: 'jwk' }) as JWK), kid: 'weak', alg: 'RS256', use: 'sig' } }];
      const token = signRaw({ alg: 'RS256', typ: 'at+jwt', kid: 'weak' }, claims(), weak.privateKey);
      await expect(refusal(verifier().verify(token))).resolves.toBe('invalid_token');
    });

    it('never verifies with a key meant for encryption (use: enc)', async () => {
      idp.keys = [{ ...rsa, jwk: { ...rsa.jwk, use: 'enc' } }];
      await expect(refusal(verifier().verify(await sign(claims())))).resolves.toBe('invalid_token');
    });

    it.each([[''], [[]], [['x-ext']], [false]])('refuses a crit header of %j, signed with the issuer key', async (crit) => {
      await expect(refusal(verifier().verify(await signWithCrit(crit)))).resolves.toBe('invalid_token');
    });
    const signWithCrit = async (crit: unknown) => {
      const raw = generateKeyPairSync('rsa', { modulusLength: 2048 });
      idp.keys = [{ kid: 'raw-1', alg: 'RS256', privateKey: undefined as never, jwk: { ...(raw.publicKey.export({ format: 'jwk' }) as JWK), kid: 'raw-1', alg: 'RS256', use: 'sig' } }];
      return signRaw({ alg: 'RS256', typ: 'at+jwt', kid: 'raw-1', crit }, claims(), raw.privateKey);
    };
    it('accepts a token signed by that raw key without crit (the control)', async () => {
      const raw = generateKeyPairSync('rsa', { modulusLength: 2048 });
      idp.keys = [{ kid: 'raw-1', alg: 'RS256', privateKey: undefined as never, jwk: { ...(raw.publicKey.export({ format: 'jwk' }) as JWK), kid: 'raw-1', alg: 'RS256', use: 'sig' } }];
      await expect(verifier().verify(signRaw({ alg: 'RS256', typ: 'at+jwt', kid: 'raw-1' }, claims(), raw.privateKey))).resolves.toMatchObject({ subject: 'service-a' });
    });
  });

  describe('iss', () => {
    it('returns null for another issuer’s token, without asking the issuer anything', async () => {
      const token = await sign(claims({ iss: 'https://other-issuer.example' }));
      await expect(verifier().verify(token)).resolves.toBeNull();
      expect(idp.requests).toEqual([]);
    });

    it('returns null for a token without iss (the app’s own)', async () => {
      await expect(verifier().verify(await sign(claims({ iss: undefined })))).resolves.toBeNull();
    });

    it('compares iss exactly: a trailing slash is another issuer', async () => {
      await expect(verifier().verify(await sign(claims({ iss: `${idp.issuer}/` })))).resolves.toBeNull();
    });

    it.each(['', 'not-a-jwt', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9.e30'])('returns null for %j, which is no JWS', async (token) => {
      await expect(verifier().verify(token)).resolves.toBeNull();
    });
  });

  describe('typ (RFC 9068 §4)', () => {
    it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])('accepts %j', async (typ) => {
      await expect(verifier().verify(await sign(claims(), rsa, { typ }))).resolves.toMatchObject({ subject: 'service-a' });
    });

    it.each([['JWT'], ['jwt'], ['at+jwt+x'], ['application/jwt'], [undefined]])(
      'refuses typ %j as invalid_token before fetching any key',
      async (typ) => {
        await expect(refusal(verifier().verify(await sign(claims(), rsa, { typ })))).resolves.toBe('invalid_token');
        expect(idp.requests).toEqual([]);
      },
    );

    it('is a pure function of the header value', () => {
      expect([isAccessTokenType('at+JWT'), isAccessTokenType(42), isAccessTokenType('application/at+jwt ')]).toEqual([true, false, false]);
    });
  });

  describe('alg allowlist', () => {
    it('refuses ES256 when the allowlist is RS256 alone', async () => {
      const token = await sign(claims(), ec);
      await expect(refusal(verifier({ algorithms: ['RS256'] }).verify(token))).resolves.toBe('invalid_token');
      expect(idp.requests).toEqual([]);
    });

    it('refuses HS256 over the issuer’s claims, signed with the issuer’s public key as the secret', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(rsa.jwk));
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: rsa.kid }).sign(secret);
      await expect(refusal(verifier().verify(token))).resolves.toBe('invalid_token');
      expect(idp.requests).toEqual([]);
    });

    it.each(['none', 'None', 'NONE'])('refuses alg %j', async (alg) => {
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const token = `${b64({ alg, typ: 'at+jwt' })}.${b64(claims())}.`;
      await expect(refusal(verifier().verify(token))).resolves.toBe('invalid_token');
    });

    it.each([[['HS256']], [['none']], [[]], [['RS256', 'HS512']]])('refuses to be configured with %j', (algorithms) => {
      expect(() => verifier({ algorithms: algorithms as never })).toThrow(/algorithm/);
    });

    it('refuses an RSA token whose header claims ES256 (the key does not fit the alg)', async () => {
      const [header, payload, signature] = (await sign(claims())).split('.');
      const relabelled = JSON.parse(Buffer.from(header, 'base64url').toString());
      const token = `${Buffer.from(JSON.stringify({ ...relabelled, alg: 'ES256' })).toString('base64url')}.${payload}.${signature}`;
      await expect(refusal(verifier().verify(token))).resolves.toBe('invalid_token');
    });
  });

  describe('claims', () => {
    it.each<[string, Record<string, unknown>]>([
      ['another aud', { aud: 'urn:another-api' }],
      ['no aud', { aud: undefined }],
      ['no sub', { sub: undefined }],
      ['a sub that is not a string', { sub: 42 }],
      ['no exp', { exp: undefined }],
      ['an exp 10 s past (beyond the 5 s leeway)', { exp: now() - 10, iat: now() - 60 }],
      ['an nbf 60 s ahead', { nbf: now() + 60 }],
      ['an iat an hour ahead (it would escape revokeSubject)', { iat: now() + 3600 }],
      ['a cnf claim (bound to a DPoP key, so no bearer token)', { cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } }],
    ])('refuses a token with %s as invalid_token', async (_, overrides) => {
      await expect(refusal(verifier().verify(await sign(claims(overrides))))).resolves.toBe('invalid_token');
    });

    it('accepts an iat 3 s ahead, within the leeway', async () => {
      await expect(verifier().verify(await sign(claims({ iat: now() + 3 })))).resolves.toMatchObject({ subject: 'service-a' });
    });

    it('accepts an exp 2 s past, within the leeway', async () => {
      await expect(verifier().verify(await sign(claims({ exp: now() - 2 })))).resolves.toMatchObject({ subject: 'service-a' });
    });

    it('refuses a forged signature: the issuer’s kid, another key', async () => {
      const forger = await signingKey(rsa.kid);
      await expect(refusal(verifier().verify(await sign(claims(), forger)))).resolves.toBe('invalid_token');
    });

    it('refuses a tampered payload', async () => {
      const [header, , signature] = (await sign(claims())).split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url')}.${signature}`;
      await expect(refusal(verifier().verify(forged))).resolves.toBe('invalid_token');
    });
  });

  describe('keys and error mapping', () => {
    it('fetches nothing at construction: the app starts while the issuer is down', () => {
      verifier();
      expect(idp.requests).toEqual([]);
    });

    it('reads jwks_uri from the discovery document, once for many concurrent verifications', async () => {
      const subject = verifier();
      const tokens = await Promise.all(Array.from({ length: 8 }, () => sign(claims())));
      const results = await Promise.all(tokens.map((token) => subject.verify(token)));
      expect(results.every((result) => result?.subject === 'service-a')).toBe(true);
      expect([idp.count('/.well-known/openid-configuration'), idp.count('/jwks')]).toEqual([1, 1]);
    });

    it('skips discovery when jwksUri is given', async () => {
      await verifier({ jwksUri: `${idp.issuer}/jwks` }).verify(await sign(claims()));
      expect(idp.requests).toEqual(['/jwks']);
    });

    it.each<[string, FakeIssuer['mode']]>([
      ['answers 500', 'error'],
      ['drops the connection', 'reset'],
      ['never answers (past the fetch timeout)', 'hang'],
    ])('is unavailable, not invalid, when the issuer %s and no key is cached', async (_, mode) => {
      idp.mode = mode;
      await expect(refusal(verifier({ fetchTimeoutMs: 200 }).verify(await sign(claims())))).resolves.toBe('unavailable');
    });

    it('is unavailable when the issuer is not listening at all', async () => {
      const subject = verifier();
      const token = await sign(claims());
      await idp.stop();
      await expect(refusal(subject.verify(token))).resolves.toBe('unavailable');
    });

    it('is unavailable when discovery works and the JWKS cannot be fetched', async () => {
      idp.mode = 'error';
      idp.failOnly = '/jwks';
      await expect(refusal(verifier().verify(await sign(claims())))).resolves.toBe('unavailable');
      expect([idp.count('/.well-known/openid-configuration'), idp.count('/jwks')]).toEqual([1, 1]);
    });

    it('refuses as invalid_token when the JWKS was fetched fine and holds no key for the token', async () => {
      idp.keys = [];
      await expect(refusal(verifier().verify(await sign(claims())))).resolves.toBe('invalid_token');
    });

    it('is unavailable when the discovery document names another issuer', async () => {
      idp.advertisedIssuer = 'https://impostor.example';
      await expect(refusal(verifier().verify(await sign(claims())))).resolves.toBe('unavailable');
      expect(idp.count('/jwks')).toBe(0);
    });

    it('refuses an unknown kid as invalid_token when the JWKS was fetched fine, without refetching within the cooldown', async () => {
      const subject = verifier();
      await subject.verify(await sign(claims()));
      const stranger = await signingKey('unknown-kid');
      await expect(refusal(subject.verify(await sign(claims(), stranger)))).resolves.toBe('invalid_token');
      await expect(refusal(subject.verify(await sign(claims(), stranger)))).resolves.toBe('invalid_token');
      expect(idp.count('/jwks')).toBe(1);
    });

    it('accepts a key the issuer rotated in, after one refetch once the cooldown has passed', async () => {
      const subject = verifier({ keysCooldownMs: 0 });
      await subject.verify(await sign(claims()));
      const rotated = await signingKey('rsa-2');
      idp.keys = [rotated];
      await expect(subject.verify(await sign(claims(), rotated))).resolves.toMatchObject({ subject: 'service-a' });
      expect(idp.count('/jwks')).toBe(2);
    });

    it('keeps verifying with a warm cache while the issuer is down', async () => {
      const subject = verifier();
      await subject.verify(await sign(claims()));
      await idp.stop();
      await expect(subject.verify(await sign(claims()))).resolves.toMatchObject({ subject: 'service-a' });
    });

    it('keeps verifying with stale keys while the issuer fails, asking it once per cooldown', async () => {
      const subject = verifier({ keysMaxAgeMs: 0 }); // every verification wants fresh keys
      await subject.verify(await sign(claims()));
      expect(idp.count('/jwks')).toBe(1);
      idp.mode = 'error';
      for (let i = 0; i < 3; i++) {
        await expect(subject.verify(await sign(claims()))).resolves.toMatchObject({ subject: 'service-a' });
      }
      expect(idp.count('/jwks')).toBe(2); // one failed refetch, then the last keys until the cooldown ends
    });

    it('is unavailable for an unknown kid while the issuer fails: it may be a new key', async () => {
      const subject = verifier({ keysCooldownMs: 0 });
      await subject.verify(await sign(claims()));
      idp.mode = 'error';
      const newcomer = await signingKey('rsa-new');
      await expect(refusal(subject.verify(await sign(claims(), newcomer)))).resolves.toBe('unavailable');
      // while a known key still works from the last fetched set
      await expect(subject.verify(await sign(claims()))).resolves.toMatchObject({ subject: 'service-a' });
    });

    it('recovers once the issuer answers again', async () => {
      const subject = verifier();
      const token = await sign(claims());
      idp.mode = 'error';
      await expect(refusal(subject.verify(token))).resolves.toBe('unavailable');
      idp.mode = 'ok';
      await expect(subject.verify(token)).resolves.toMatchObject({ subject: 'service-a' });
    });
  });

  describe('logging', () => {
    const lines: string[] = [];
    beforeEach(() => {
      lines.length = 0;
      const capture = (level: string) => (message: unknown) => void lines.push(`${level} ${String(message)}`);
      Logger.overrideLogger({ log: capture('log'), warn: capture('warn'), error: capture('error') });
    });
    afterEach(() => {
      Logger.overrideLogger(false);
    });

    it('warns once per outage, naming the issuer and the failure, never the token', async () => {
      const subject = verifier();
      const token = await sign(claims());
      idp.mode = 'error';
      for (let i = 0; i < 3; i++) {
        await expect(refusal(subject.verify(token))).resolves.toBe('unavailable');
      }
      idp.mode = 'ok';
      await subject.verify(token);
      expect(lines).toEqual([
        `warn Keys of issuer ${idp.issuer} cannot be fetched: IssuerDiscoveryError: The discovery document of ${idp.issuer} answered 500`,
        `log Keys of issuer ${idp.issuer} are available again`,
      ]);
      expect(lines.join('\n')).not.toContain(token.split('.')[2]);
    });
  });

  describe('configuration', () => {
    it.each([
      ['plain http off loopback', { issuer: 'http://login.example.com' }, /https/],
      ['credentials in the issuer', { issuer: 'https://user:pw@login.example.com' }, /credentials/],
      ['a query in the issuer', { issuer: 'https://login.example.com?tenant=a' }, /query/],
      ['not a URL', { issuer: 'login.example.com' }, /not a URL/],
      ['no audience', { audience: [] }, /audience/],
      ['an empty audience', { audience: '' }, /audience/],
      ['a jwksUri over plain http off loopback', { jwksUri: 'http://keys.example.com/jwks' }, /https/],
      ['a negative cooldown', { keysCooldownMs: -1 }, /keysCooldownMs/],
    ])('refuses %s', (_, options, message) => {
      expect(() => verifier(options as Partial<IssuerVerifierOptions>)).toThrow(message);
    });

    it.each(['https://login.example.com', 'http://localhost:8080', 'http://127.0.0.1:9000/realms/a', 'http://[::1]:9000'])(
      'takes issuer %s',
      (issuer) => {
        expect(() => verifier({ issuer })).not.toThrow();
      },
    );
  });
});
