import { constants, createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { afterEach, jest } from '@jest/globals';
import { WsAuthError } from '../ws-auth.errors.js';
import { JwtVerifier } from './jwt.verifier.js';
import { settle } from '../../../../test/support/settle.js';

type Json = Record<string, unknown>;

const SECRET = 'a-secret-of-at-least-32-bytes-for-hs256';
const b64 = (value: Json) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWS signed by hand, so a test can forge any header, claim or key. */
function sign(header: Json, claims: Json, key: string | Buffer | KeyObject): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const alg = String(header.alg);
  const hash = `sha${alg.slice(2)}`;
  const data = Buffer.from(input);
  let signature: Buffer;
  if (alg.startsWith('HS')) {
    signature = createHmac(hash, key).update(input).digest();
  } else if (alg.startsWith('RS')) {
    signature = cryptoSign(hash, data, key as KeyObject);
  } else if (alg.startsWith('PS')) {
    signature = cryptoSign(hash, data, {
      key: key as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  } else {
    signature = cryptoSign(hash, data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  }
  return `${input}.${signature.toString('base64url')}`;
}

const hs = (claims: Json, alg = 'HS256', key: string | Buffer = SECRET) => sign({ alg, typ: 'JWT' }, claims, key);
const now = () => Math.floor(Date.now() / 1000);
const claims = (overrides: Json = {}): Json => ({ sub: 'maggie', sid: 's-1', iat: now(), exp: now() + 300, ...overrides });

async function refusal(verifying: Promise<unknown>): Promise<WsAuthError> {
  try {
    await verifying;
  } catch (error) {
    expect(error).toBeInstanceOf(WsAuthError);
    return error as WsAuthError;
  }
  throw new Error('expected a WsAuthError, the token was accepted');
}

describe('JwtVerifier', () => {
  const verifier = new JwtVerifier({ secret: SECRET });

  describe('an HMAC secret (HS256 by default)', () => {
    it('accepts a valid HS256 token and describes it from its claims', async () => {
      const payload = claims({ scope: 'chat:read' });
      await expect(settle(() => verifier.verify(hs(payload)))).resolves.toEqual({
        principal: payload,
        subject: 'maggie',
        sessionId: 's-1',
        scopes: ['chat:read'],
        expiresAt: (payload.exp as number) * 1000,
        issuedAt: (payload.iat as number) * 1000,
      });
    });

    it('accepts a Buffer secret', async () => {
      const secret = Buffer.from(SECRET);
      await expect(settle(() => new JwtVerifier({ secret }).verify(hs(claims(), 'HS256', secret)))).resolves.toMatchObject({
        subject: 'maggie',
      });
    });

    it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg "%s"', async (alg) => {
      const unsigned = `${b64({ alg, typ: 'JWT' })}.${b64(claims())}.`;
      expect((await refusal(settle(() => verifier.verify(unsigned)))).code).toBe('invalid_token');
    });

    it('refuses alg "none" even carrying a signature by the secret', async () => {
      const token = hs(claims(), 'HS256').split('.');
      const forged = `${b64({ alg: 'none', typ: 'JWT' })}.${token[1]}.${token[2]}`;
      expect((await refusal(settle(() => verifier.verify(forged)))).code).toBe('invalid_token');
    });

    it('refuses a token without alg', async () => {
      const token = sign({ typ: 'JWT', alg: 'HS256' }, claims(), SECRET).split('.');
      const forged = `${b64({ typ: 'JWT' })}.${token[1]}.${token[2]}`;
      expect((await refusal(settle(() => verifier.verify(forged)))).code).toBe('invalid_token');
    });

    it('refuses HS384 when only HS256 is allowed, although the secret signed it', async () => {
      expect((await refusal(settle(() => verifier.verify(hs(claims(), 'HS384'))))).code).toBe('invalid_token');
    });

    it('accepts HS384 once the allowlist names it', async () => {
      const secret = 'a-secret-of-at-least-48-bytes-for-hs384-0123456789';
      const both = new JwtVerifier({ secret, algorithms: ['HS256', 'HS384'] });
      await expect(settle(() => both.verify(hs(claims(), 'HS384', secret)))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it('refuses a token signed with another secret', async () => {
      const token = hs(claims(), 'HS256', 'another-secret-of-at-least-32-bytes!!');
      expect((await refusal(settle(() => verifier.verify(token)))).code).toBe('invalid_token');
    });

    it('refuses a tampered payload', async () => {
      const [header, , signature] = hs(claims()).split('.');
      const tampered = `${header}.${b64(claims({ sub: 'admin' }))}.${signature}`;
      expect((await refusal(settle(() => verifier.verify(tampered)))).code).toBe('invalid_token');
    });

    it('refuses a stripped signature', async () => {
      const [header, payload] = hs(claims()).split('.');
      expect((await refusal(settle(() => verifier.verify(`${header}.${payload}.`)))).code).toBe('invalid_token');
    });

    it('refuses an unknown crit header parameter (RFC 7515 §4.1.11)', async () => {
      const token = sign({ alg: 'HS256', typ: 'JWT', crit: ['urn:example:x'], 'urn:example:x': true }, claims(), SECRET);
      expect((await refusal(settle(() => verifier.verify(token)))).code).toBe('invalid_token');
    });

    it('refuses a token expired beyond the leeway', async () => {
      expect((await refusal(settle(() => verifier.verify(hs(claims({ exp: now() - 30 })))))).code).toBe('invalid_token');
    });

    it('accepts a token expired within the 5 s leeway', async () => {
      await expect(settle(() => verifier.verify(hs(claims({ exp: now() - 2 }))))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it('refuses a token whose nbf is in the future beyond the leeway', async () => {
      expect((await refusal(settle(() => verifier.verify(hs(claims({ nbf: now() + 60 })))))).code).toBe('invalid_token');
    });

    it('accepts a token whose nbf is within the 5 s leeway', async () => {
      await expect(settle(() => verifier.verify(hs(claims({ nbf: now() + 2 }))))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it('refuses a token whose iat is in the future beyond the leeway (it would escape revokeSubject)', async () => {
      expect((await refusal(settle(() => verifier.verify(hs(claims({ iat: now() + 3600 })))))).code).toBe('invalid_token');
    });

    it('accepts a token whose iat is within the 5 s leeway', async () => {
      await expect(settle(() => verifier.verify(hs(claims({ iat: now() + 3 }))))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it('refuses an iat that is not a number', async () => {
      expect((await refusal(settle(() => verifier.verify(hs(claims({ iat: String(now()) })))))).code).toBe('invalid_token');
    });

    it('takes its leeway from clockToleranceSec', async () => {
      const strict = new JwtVerifier({ secret: SECRET, clockToleranceSec: 0 });
      expect((await refusal(settle(() => strict.verify(hs(claims({ exp: now() - 2 })))))).code).toBe('invalid_token');
    });

    it('refuses an exp that is not a number', async () => {
      expect((await refusal(settle(() => verifier.verify(hs(claims({ exp: String(now() + 300) })))))).code).toBe('invalid_token');
    });

    it.each(['sub', 'exp'])('refuses a token without %s (required by default)', async (name) => {
      const payload = claims();
      delete payload[name];
      expect((await refusal(settle(() => verifier.verify(hs(payload))))).code).toBe('invalid_token');
    });

    it('refuses a token with an empty sub', async () => {
      expect((await refusal(settle(() => verifier.verify(hs(claims({ sub: '' })))))).code).toBe('invalid_token');
    });

    it.each([42, true, ['maggie'], { id: 'maggie' }])('refuses a sub that is not a string (%j)', async (sub) => {
      expect((await refusal(settle(() => verifier.verify(hs(claims({ sub })))))).code).toBe('invalid_token');
    });

    it('accepts a token without sid when sid is not required', async () => {
      const payload = claims();
      delete payload.sid;
      await expect(settle(() => verifier.verify(hs(payload)))).resolves.toMatchObject({ subject: 'maggie', sessionId: undefined });
    });

    it('refuses a token without sid when sid is required', async () => {
      const withSid = new JwtVerifier({ secret: SECRET, requiredClaims: ['sub', 'exp', 'sid'] });
      const payload = claims();
      delete payload.sid;
      expect((await refusal(settle(() => withSid.verify(hs(payload))))).code).toBe('invalid_token');
    });

    it('accepts a token with sid when sid is required, and reports it as the session', async () => {
      const withSid = new JwtVerifier({ secret: SECRET, requiredClaims: ['sub', 'exp', 'sid'] });
      await expect(settle(() => withSid.verify(hs(claims({ sid: 's-9' }))))).resolves.toMatchObject({ sessionId: 's-9' });
    });

    it('refuses a sid that is not a string', async () => {
      expect((await refusal(settle(() => verifier.verify(hs(claims({ sid: 7 })))))).code).toBe('invalid_token');
    });

    it.each([
      ['an opaque string', 'opaque-ticket-0123456789'],
      ['an empty string', ''],
      ['three dots of garbage', 'a.b.c'],
      ['two segments', `${b64({ alg: 'HS256' })}.${b64(claims())}`],
    ])('returns null for %s: not a JWT, maybe another verifier’s', async (_, token) => {
      await expect(settle(() => verifier.verify(token))).resolves.toBeNull();
    });

    it('refuses a JWS whose payload is not JSON: without an issuer to route by, every JWS is its own', async () => {
      const token = `${b64({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}.sig`;
      expect((await refusal(settle(() => verifier.verify(token)))).code).toBe('invalid_token');
    });

    it('answers synchronously, so a handshake needs no turn of the event loop', () => {
      const answer = verifier.verify(hs(claims()));
      expect(answer).not.toBeInstanceOf(Promise);
      expect(answer).toMatchObject({ subject: 'maggie' });
    });

    it('keeps the token out of its error messages', async () => {
      const token = hs(claims({ exp: now() - 60 }));
      const error = await refusal(settle(() => verifier.verify(token)));
      expect(error.message).not.toContain(token.split('.')[1]);
    });
  });

  describe('issuer and audience', () => {
    const ours = new JwtVerifier({ secret: SECRET, issuer: 'https://ours.example' });

    it('accepts a token of its issuer', async () => {
      await expect(settle(() => ours.verify(hs(claims({ iss: 'https://ours.example' }))))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it("returns null for another issuer's token, left to that issuer's verifier", async () => {
      await expect(settle(() => ours.verify(hs(claims({ iss: 'https://theirs.example' }), 'HS256', 'their-secret-of-32-bytes-or-more!!')))).resolves.toBeNull();
    });

    it('returns null for a token without iss', async () => {
      await expect(settle(() => ours.verify(hs(claims())))).resolves.toBeNull();
    });

    it('returns null for a JWS whose payload is not JSON: it names no issuer', async () => {
      const token = `${b64({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}.sig`;
      await expect(settle(() => ours.verify(token))).resolves.toBeNull();
    });

    it('still refuses alg none from its own issuer', async () => {
      const unsigned = `${b64({ alg: 'none' })}.${b64(claims({ iss: 'https://ours.example' }))}.`;
      expect((await refusal(settle(() => ours.verify(unsigned)))).code).toBe('invalid_token');
    });

    it('refuses a token for another audience when audience is set', async () => {
      const forApi = new JwtVerifier({ secret: SECRET, audience: 'https://api.example' });
      expect((await refusal(settle(() => forApi.verify(hs(claims({ aud: 'https://other.example' })))))).code).toBe('invalid_token');
      await expect(settle(() => forApi.verify(hs(claims({ aud: 'https://api.example' }))))).resolves.toMatchObject({ subject: 'maggie' });
    });
  });

  describe('the principal and scopes', () => {
    it('hands the verified claims to toPrincipal and uses what it returns', async () => {
      const seen: Json[] = [];
      const withUser = new JwtVerifier({
        secret: SECRET,
        toPrincipal: async (verified) => {
          seen.push(verified);
          return { id: verified.sub, role: 'member' };
        },
      });
      const payload = claims();
      await expect(settle(() => withUser.verify(hs(payload)))).resolves.toMatchObject({
        principal: { id: 'maggie', role: 'member' },
        subject: 'maggie',
      });
      expect(seen).toEqual([payload]);
    });

    it('does not call toPrincipal for a refused token', async () => {
      let calls = 0;
      const withUser = new JwtVerifier({ secret: SECRET, toPrincipal: () => ({ calls: ++calls }) });
      await refusal(settle(() => withUser.verify(hs(claims({ exp: now() - 60 })))));
      expect(calls).toBe(0);
    });

    it('reads scopes from the space-separated scope claim', async () => {
      await expect(settle(() => verifier.verify(hs(claims({ scope: 'chat:read  chat:write ' }))))).resolves.toMatchObject({
        scopes: ['chat:read', 'chat:write'],
      });
    });

    it('reads scopes from an scp array, keeping only strings', async () => {
      await expect(settle(() => verifier.verify(hs(claims({ scp: ['chat:read', 7, 'chat:write'] }))))).resolves.toMatchObject({
        scopes: ['chat:read', 'chat:write'],
      });
    });

    it('reads scopes from an scp string', async () => {
      await expect(settle(() => verifier.verify(hs(claims({ scp: 'chat:read chat:write' }))))).resolves.toMatchObject({
        scopes: ['chat:read', 'chat:write'],
      });
    });

    it('prefers scope to scp', async () => {
      await expect(settle(() => verifier.verify(hs(claims({ scope: 'a', scp: ['b'] }))))).resolves.toMatchObject({ scopes: ['a'] });
    });

    it('grants no scope to a token without scope or scp', async () => {
      await expect(settle(() => verifier.verify(hs(claims())))).resolves.toMatchObject({ scopes: [] });
    });
  });

  describe('public keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

    it('accepts RS256 with a PEM public key', async () => {
      const rs = new JwtVerifier({ publicKey: rsaPem, algorithms: ['RS256'] });
      await expect(settle(() => rs.verify(sign({ alg: 'RS256' }, claims(), rsa.privateKey)))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it('accepts ES256 with a KeyObject public key', async () => {
      const es = new JwtVerifier({ publicKey: ec.publicKey, algorithms: ['ES256'] });
      await expect(settle(() => es.verify(sign({ alg: 'ES256' }, claims(), ec.privateKey)))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it('accepts PS256 when listed', async () => {
      const ps = new JwtVerifier({ publicKey: rsa.publicKey, algorithms: ['PS256'] });
      await expect(settle(() => ps.verify(sign({ alg: 'PS256' }, claims(), rsa.privateKey)))).resolves.toMatchObject({ subject: 'maggie' });
    });

    it('refuses RS256 signed by another key', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rs = new JwtVerifier({ publicKey: rsaPem, algorithms: ['RS256'] });
      expect((await refusal(settle(() => rs.verify(sign({ alg: 'RS256' }, claims(), other.privateKey))))).code).toBe('invalid_token');
    });

    it('refuses an algorithm of the key family that is not listed (PS256 for an RS256 key)', async () => {
      const rs = new JwtVerifier({ publicKey: rsaPem, algorithms: ['RS256'] });
      expect((await refusal(settle(() => rs.verify(sign({ alg: 'PS256' }, claims(), rsa.privateKey))))).code).toBe('invalid_token');
    });

    it('refuses HS256 signed with the RSA public key PEM as the HMAC secret (key confusion)', async () => {
      const rs = new JwtVerifier({ publicKey: rsaPem, algorithms: ['RS256'] });
      const confused = sign({ alg: 'HS256', typ: 'JWT' }, claims(), rsaPem);
      expect((await refusal(settle(() => rs.verify(confused)))).code).toBe('invalid_token');
    });

    it('refuses an RS256 token in an HS256 verifier', async () => {
      expect((await refusal(settle(() => verifier.verify(sign({ alg: 'RS256' }, claims(), rsa.privateKey))))).code).toBe('invalid_token');
    });

    it('refuses alg none with a public key', async () => {
      const rs = new JwtVerifier({ publicKey: rsaPem, algorithms: ['RS256'] });
      expect((await refusal(settle(() => rs.verify(`${b64({ alg: 'none' })}.${b64(claims())}.`)))).code).toBe('invalid_token');
    });
  });

  describe('construction: a configuration that would verify the wrong thing fails at bootstrap', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;

    it('throws for a secret and a publicKey both', () => {
      expect(() => new JwtVerifier({ secret: SECRET, publicKey: pem, algorithms: ['ES256'] } as never)).toThrow(/not both/);
    });

    it.each([
      ['an empty string', ''],
      ['an empty Buffer', Buffer.alloc(0)],
    ])('throws for an empty secret (%s)', (_, secret) => {
      expect(() => new JwtVerifier({ secret })).toThrow(/secret is empty/);
    });

    it('throws for a PEM public key passed as the secret', () => {
      expect(() => new JwtVerifier({ secret: pem })).toThrow(/looks like a PEM key/);
    });

    it.each([
      ['a certificate', '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0xgY2VydGlmaWNhdGUtZm9yLXRlc3RzMAoGCCqGSM49\n-----END CERTIFICATE-----\n'],
      ['a PEM key after leading whitespace and a zero-width space', () => `\n \u200b${pem}`],
      ['a PEM key after a comment line', () => `# the signing key\n${pem}`],
    ])('throws for %s passed as the secret (key confusion in the forms fast-jwt advisories list)', (_, secret) => {
      expect(() => new JwtVerifier({ secret: typeof secret === 'function' ? secret() : secret })).toThrow(/looks like a PEM key/);
    });

    it('throws for a publicKey that does not go with its algorithms (an EC key for RS256)', () => {
      expect(() => new JwtVerifier({ publicKey: pem, algorithms: ['RS256'] })).toThrow(/does not fit its algorithms/);
    });

    it('throws for a private key passed as publicKey in KeyObject form', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      expect(() => new JwtVerifier({ publicKey: privateKey, algorithms: ['ES256'] })).toThrow(/not a public key/);
    });

    it.each([-1, 1.5, Number.NaN])('throws for cacheMaxEntries %p', (cacheMaxEntries) => {
      expect(() => new JwtVerifier({ secret: SECRET, cacheMaxEntries })).toThrow(/cacheMaxEntries/);
    });

    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('throws for clockToleranceSec %p', (clockToleranceSec) => {
      expect(() => new JwtVerifier({ secret: SECRET, clockToleranceSec })).toThrow(/clockToleranceSec/);
    });

    it('throws for a PEM key passed as a Buffer secret', () => {
      expect(() => new JwtVerifier({ secret: Buffer.from(pem) })).toThrow(/looks like a PEM key/);
    });

    it.each([
      ['DER (SPKI)', () => publicKey.export({ type: 'spki', format: 'der' })],
      ['DER (PKCS#1, RSA)', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'pkcs1', format: 'der' })],
      ['a JWK', () => JSON.stringify(publicKey.export({ format: 'jwk' }))],
    ])('throws for a public key in %s passed as the secret', (_, key) => {
      expect(() => new JwtVerifier({ secret: key() })).toThrow(/is a key in DER or JWK form/);
    });

    it.each([
      ['undefined (an unset variable)', undefined, /got undefined/],
      ['null', null, /got null/],
      ['a number', 42, /got number/],
    ])('throws a clear error for a secret that is %s', (_, secret, message) => {
      expect(() => new JwtVerifier({ secret } as never)).toThrow(message);
      expect(() => new JwtVerifier({ secret } as never)).toThrow(/^ws-auth: JwtVerifier secret must be a string or a Buffer/);
    });

    it('throws when given neither a secret nor a publicKey', () => {
      expect(() => new JwtVerifier({} as never)).toThrow(/needs a secret \(HMAC\) or a publicKey/);
    });

    it.each([
      [['HS256'], 31, 32],
      [['HS384'], 47, 48],
      [['HS512'], 63, 64],
      [['HS256', 'HS512'], 63, 64],
    ] as const)('refuses a secret shorter than the hash of %j (RFC 7518 §3.2)', (algorithms, short, enough) => {
      expect(() => new JwtVerifier({ secret: 'k'.repeat(short), algorithms: [...algorithms] })).toThrow(
        new RegExp(`secret is ${short} bytes; .* needs at least ${enough}`),
      );
      expect(() => new JwtVerifier({ secret: 'k'.repeat(enough), algorithms: [...algorithms] })).not.toThrow();
    });

    it('never puts the secret in its error', () => {
      const secret = 'short-secret-value';
      expect(() => new JwtVerifier({ secret })).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
    });

    it('still takes 32 random bytes as a secret', () => {
      expect(() => new JwtVerifier({ secret: randomBytes(32) })).not.toThrow();
    });

    it.each([[['HS256']], [['ES256', 'HS256']]])('throws for HS algorithms with a publicKey (%j)', (algorithms) => {
      expect(() => new JwtVerifier({ publicKey: pem, algorithms: algorithms as never })).toThrow(/explicit list/);
    });

    it.each([[['RS256']], [['HS256', 'ES256']], [['none']]])('throws for non-HMAC algorithms with a secret (%j)', (algorithms) => {
      expect(() => new JwtVerifier({ secret: SECRET, algorithms: algorithms as never })).toThrow(/HS256, HS384 or HS512 only/);
    });

    it('throws for an empty algorithms list with a secret', () => {
      expect(() => new JwtVerifier({ secret: SECRET, algorithms: [] })).toThrow(/HS256, HS384 or HS512 only/);
    });

    it('throws for an empty algorithms list with a publicKey', () => {
      expect(() => new JwtVerifier({ publicKey: pem, algorithms: [] })).toThrow(/explicit list/);
    });

    it('throws for a publicKey without algorithms', () => {
      expect(() => new JwtVerifier({ publicKey: pem } as never)).toThrow(/explicit list/);
    });

    it.each(['none', 'NONE'])('throws for "%s" among a publicKey\'s algorithms', (alg) => {
      expect(() => new JwtVerifier({ publicKey: pem, algorithms: ['ES256', alg] as never })).toThrow(/explicit list/);
    });
  });
  describe('security properties, whatever library is behind the verifier', () => {
    it.each(['hs256', 'Hs256', 'HS256 ', ' HS256', 'HS256\u0000'])('refuses alg %j: the allowlist is an exact match', async (alg) => {
      const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims())}`;
      const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`; // HMAC-SHA256 by the right secret
      expect((await refusal(settle(() => verifier.verify(token)))).code).toBe('invalid_token');
    });

    it.each([[''], [0], [false], [null], [[]], ['x-ext']])('refuses a crit header of %j, signed with the right secret', async (crit) => {
      const token = sign({ alg: 'HS256', typ: 'JWT', crit }, claims(), SECRET);
      expect((await refusal(settle(() => verifier.verify(token)))).code).toBe('invalid_token');
    });

    it('refuses HS256 signed with the public key of an RS256 verifier, in every form it travels in', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rs = new JwtVerifier({ publicKey: rsa.publicKey, algorithms: ['RS256'] });
      for (const secret of [
        rsa.publicKey.export({ type: 'spki', format: 'pem' }),
        rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }),
        rsa.publicKey.export({ type: 'spki', format: 'der' }),
        JSON.stringify(rsa.publicKey.export({ format: 'jwk' })),
      ]) {
        const confused = sign({ alg: 'HS256', typ: 'JWT' }, claims(), secret as string | Buffer);
        expect((await refusal(settle(() => rs.verify(confused)))).code).toBe('invalid_token');
      }
    });

    it.each([
      ['100 KiB of base64url with no dot', () => 'a'.repeat(100 * 1024)],
      ['100 KiB of dots', () => '.'.repeat(100 * 1024)],
      ['a valid header, then 100 KiB of base64url and a "!"', () => `${b64({ alg: 'HS256' })}.${'A'.repeat(100 * 1024)}!.sig`],
      ['a header of 10 000 nested arrays', () => `${Buffer.from('['.repeat(10_000) + ']'.repeat(10_000)).toString('base64url')}.${b64(claims())}.sig`],
      ['a payload of 10 000 nested objects, signed', () => {
        const input = `${b64({ alg: 'HS256' })}.${Buffer.from('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)).toString('base64url')}`;
        return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
      }],
      ['a signature of 100 KiB', () => `${hs(claims()).split('.').slice(0, 2).join('.')}.${'A'.repeat(100 * 1024)}`],
    ])('answers %s without hanging, and never accepts it', async (_, make) => {
      // Bounded by jest's test timeout: the decoders' patterns are linear, and
      // the handshake caps a token's length before any verifier sees it.
      const answer = await settle(() => verifier.verify(make())).catch((error: unknown) => error);
      expect(answer === null || (answer instanceof WsAuthError && answer.code === 'invalid_token')).toBe(true);
    });
  });

  describe('leeway: seconds in the options, milliseconds inside fast-jwt', () => {
    const T = 1_900_000_000; // a fixed second, so the edge is exact
    const at = (ms: number) => void jest.spyOn(Date, 'now').mockReturnValue(ms);
    afterEach(() => void jest.restoreAllMocks());
    const uncached = new JwtVerifier({ secret: SECRET, clockToleranceSec: 5, cacheMaxEntries: 0 });
    const token = hs({ sub: 'maggie', iat: T - 60, exp: T, nbf: T - 30 });

    it('accepts a token until its exp plus the whole leeway, and refuses it after', async () => {
      at((T + 5) * 1000 - 1);
      await expect(settle(() => uncached.verify(token))).resolves.toMatchObject({ subject: 'maggie' });
      at((T + 5) * 1000 + 1);
      expect((await refusal(settle(() => uncached.verify(token)))).code).toBe('invalid_token');
    });

    it('accepts a token from its nbf less the whole leeway, and refuses it before', async () => {
      at((T - 30 - 5) * 1000);
      await expect(settle(() => uncached.verify(token))).resolves.toMatchObject({ subject: 'maggie' });
      at((T - 30 - 5) * 1000 - 1);
      expect((await refusal(settle(() => uncached.verify(token)))).code).toBe('invalid_token');
    });

    it('refuses an iat more than the leeway ahead (fast-jwt does not check iat: this class does)', async () => {
      const ahead = hs({ sub: 'maggie', iat: T + 6, exp: T + 300 });
      at(T * 1000);
      expect((await refusal(settle(() => uncached.verify(ahead)))).code).toBe('invalid_token');
      const within = hs({ sub: 'maggie', iat: T + 5, exp: T + 300 });
      await expect(settle(() => uncached.verify(within))).resolves.toMatchObject({ subject: 'maggie' });
    });
  });

  describe('the verified-token cache (keyed by the whole token)', () => {
    afterEach(() => void jest.restoreAllMocks());

    it('answers a token it has verified with the same frozen answer, without verifying again', () => {
      const cached = new JwtVerifier({ secret: SECRET });
      const token = hs(claims());
      const first = cached.verify(token);
      expect(cached.verify(token)).toBe(first); // a fresh verification would parse new claims
      expect(Object.isFrozen(first)).toBe(true);
    });

    it('verifies afresh with the cache off', () => {
      const uncached = new JwtVerifier({ secret: SECRET, cacheMaxEntries: 0 });
      const token = hs(claims());
      const first = uncached.verify(token);
      const second = uncached.verify(token);
      expect(second).not.toBe(first);
      expect(second).toEqual(first);
    });

    it('hands toPrincipal the remembered claims on every handshake, and uses what it returns each time', async () => {
      const seen: Json[] = [];
      let calls = 0;
      const withUser = new JwtVerifier({ secret: SECRET, toPrincipal: (verified) => (seen.push(verified), { id: verified.sub, call: ++calls }) });
      const token = hs(claims());
      await expect(settle(() => withUser.verify(token))).resolves.toMatchObject({ principal: { call: 1 } });
      await expect(settle(() => withUser.verify(token))).resolves.toMatchObject({ principal: { call: 2 } });
      expect(seen[1]).toBe(seen[0]);
      expect(Object.isFrozen(seen[0])).toBe(true);
    });

    it('refuses a remembered token once it has expired: an entry never outlives exp', async () => {
      const cached = new JwtVerifier({ secret: SECRET, clockToleranceSec: 0 });
      const start = Date.now();
      const token = hs(claims({ exp: Math.floor(start / 1000) + 2 }));
      expect(cached.verify(token)).toMatchObject({ subject: 'maggie' });
      jest.spyOn(Date, 'now').mockReturnValue(start + 3000);
      expect((await refusal(settle(() => cached.verify(token)))).code).toBe('invalid_token');
    });

    it('does not answer a remembered token before its nbf less the leeway (a clock set back)', async () => {
      const cached = new JwtVerifier({ secret: SECRET, clockToleranceSec: 5 });
      const start = Date.now();
      const token = hs(claims({ nbf: Math.floor(start / 1000) + 3 }));
      expect(cached.verify(token)).toMatchObject({ subject: 'maggie' });
      jest.spyOn(Date, 'now').mockReturnValue(start - 10_000);
      expect((await refusal(settle(() => cached.verify(token)))).code).toBe('invalid_token');
    });

    it('never answers a token that differs from a remembered one in one character of its signature', async () => {
      const cached = new JwtVerifier({ secret: SECRET });
      const token = hs(claims());
      const remembered = cached.verify(token);
      const [header, payload, signature] = token.split('.');
      const forged = `${header}.${payload}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
      const answer = await settle(() => cached.verify(forged)).catch((error: unknown) => error);
      expect(answer).not.toBe(remembered);
      expect(answer).toBeInstanceOf(WsAuthError);
      expect(cached.verify(token)).toBe(remembered);
    });

    it('keeps what a handler would change out of the next hit: the claims are frozen, deep', () => {
      const cached = new JwtVerifier({ secret: SECRET });
      const token = hs(claims({ roles: ['member'], profile: { name: 'Maggie' } }));
      const first = cached.verify(token) as unknown as { principal: Json; scopes: string[] };
      expect(() => { first.principal.sub = 'admin'; }).toThrow(TypeError);
      expect(() => (first.principal.roles as string[]).push('admin')).toThrow(TypeError);
      expect(() => { (first.principal.profile as Json).name = 'Bart'; }).toThrow(TypeError);
      expect(() => first.scopes.push('admin')).toThrow(TypeError);
      expect(cached.verify(token)).toMatchObject({ subject: 'maggie', principal: { sub: 'maggie', roles: ['member'], profile: { name: 'Maggie' } }, scopes: [] });
    });

    it('does not let refused tokens evict a remembered one', async () => {
      const cached = new JwtVerifier({ secret: SECRET, cacheMaxEntries: 1 });
      const token = hs(claims());
      const remembered = cached.verify(token);
      for (let i = 0; i < 5; i++) {
        await refusal(settle(() => cached.verify(hs(claims({ jti: String(i) }), 'HS256', 'another-secret-of-at-least-32-bytes!!'))));
      }
      expect(cached.verify(token)).toBe(remembered);
    });

    it('remembers at most cacheMaxEntries tokens, the least recently used leaving first', () => {
      const cached = new JwtVerifier({ secret: SECRET, cacheMaxEntries: 2 });
      const [a, b, c] = ['a', 'b', 'c'].map((jti) => hs(claims({ jti })));
      const first = { a: cached.verify(a), b: cached.verify(b) };
      expect(cached.verify(a)).toBe(first.a); // a is now the most recent
      cached.verify(c); // evicts b
      expect(cached.verify(a)).toBe(first.a);
      expect(cached.verify(b)).not.toBe(first.b);
    });

    it('does not remember a token without exp (nothing would bound the entry)', () => {
      const noExp = new JwtVerifier({ secret: SECRET, requiredClaims: ['sub'] });
      const payload = claims();
      delete payload.exp;
      const token = hs(payload);
      expect(noExp.verify(token)).not.toBe(noExp.verify(token));
    });
  });
});

describe('JwtVerifier.fromJwtModuleOptions', () => {
  const token = (claims: Json, secret: string = SECRET) => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const claims = (overrides: Json = {}): Json => ({ sub: 'maggie', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, ...overrides });

  it('verifies with the module secret and its signOptions algorithm', () => {
    const verifier = JwtVerifier.fromJwtModuleOptions({ secret: SECRET, signOptions: { algorithm: 'HS256' } });
    expect(verifier.verify(token(claims()))).toMatchObject({ subject: 'maggie' });
    expect(() => verifier.verify(token(claims(), 'another-secret-of-at-least-32-bytes!!'))).toThrow(WsAuthError);
  });

  it('takes the issuer, audience and clock tolerance of verifyOptions', () => {
    const verifier = JwtVerifier.fromJwtModuleOptions({ secret: SECRET, verifyOptions: { issuer: 'https://a.example', audience: 'chat', clockTolerance: 0 } });
    expect(verifier.verify(token(claims({ iss: 'https://a.example', aud: 'chat' })))).toMatchObject({ subject: 'maggie' });
    expect(() => verifier.verify(token(claims({ iss: 'https://a.example', aud: 'billing' })))).toThrow(WsAuthError);
    expect(() => verifier.verify(token(claims({ iss: 'https://a.example', aud: 'chat', exp: Math.floor(Date.now() / 1000) - 2 })))).toThrow(WsAuthError);
  });

  it('takes the extra options (requiredClaims) beside the module options', () => {
    const verifier = JwtVerifier.fromJwtModuleOptions({ secret: SECRET }, { requiredClaims: ['sub', 'exp', 'sid'] });
    expect(() => verifier.verify(token(claims()))).toThrow(WsAuthError);
    expect(verifier.verify(token(claims({ sid: 's' })))).toMatchObject({ sessionId: 's' });
  });

  it('keeps the secret checks: a short module secret fails at bootstrap', () => {
    expect(() => JwtVerifier.fromJwtModuleOptions({ secret: 'short' })).toThrow(/needs at least 32/);
  });

  it.each([
    ['a secretOrKeyProvider', { secretOrKeyProvider: () => SECRET }, /secretOrKeyProvider/],
    ['verifyOptions.ignoreExpiration', { secret: SECRET, verifyOptions: { ignoreExpiration: true } }, /ignoreExpiration/],
    ['verifyOptions.maxAge', { secret: SECRET, verifyOptions: { maxAge: '1h' } }, /maxAge/],
    ['a RegExp audience', { secret: SECRET, verifyOptions: { audience: /chat.*/ } }, /not a RegExp/],
    ['several issuers', { secret: SECRET, verifyOptions: { issuer: ['a', 'b'] } }, /one verifyOptions.issuer/],
    ['no secret at all', { signOptions: { algorithm: 'HS256' } }, /needs a JwtModule secret or publicKey/],
    ['an RS256 publicKey without algorithms', { publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) }, /explicit list/],
  ])('refuses %s at bootstrap rather than dropping it', (_, options, message) => {
    expect(() => JwtVerifier.fromJwtModuleOptions(options as never)).toThrow(message);
  });
});
