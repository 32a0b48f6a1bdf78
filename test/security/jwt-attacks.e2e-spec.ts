import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtVerifier } from 'nestjs-ws-auth';
import { startChatApp, TEST_SECRET, type RunningChatApp } from '../support/chat-app.js';
import { startTestApp, type RunningTestApp } from '../support/guarded-test-app.js';
import { CHAT_RESOURCE, CLIENT_ID, startOidcIssuer, type RunningOidcIssuer } from '../support/oidc-issuer.js';
import { json, startRecordingHttpServer, type RecordingHttpServer } from '../support/recording-http-server.js';
import { ownClaims } from '../support/tokens.js';
import { rawUpgrade } from '../support/ws-client.js';
import {
  allLines,
  Answer,
  bearer,
  expectAnswer,
  expectStillServes,
  login,
  nowSec,
  SentCredentials,
  type ExpectedAnswer,
} from './catalogue.js';
import {
  asymmetric,
  b64url,
  flipSignatureBit,
  hmac,
  jws,
  KID_INJECTIONS,
  pollutingPayload,
  prototypePolluted,
  PUBLIC_KEY_FORMS,
  withoutSignature,
} from './forge.js';

/** A token, made when its case runs (time claims are relative to then). */
type Make = () => string | Promise<string>;
type Row = [name: string, make: Make, expected: ExpectedAnswer];

const HS256 = { alg: 'HS256', typ: 'JWT' };
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
/** The attacker's own keys: what a self-signed token is signed with. */
const attacker = rsa();
const attackerEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ATTACKER_SECRET = 'the-attackers-own-hmac-secret-0123456789';

/**
 * Catalogue of attacks on JWTs, each sent as `Authorization: Bearer` to a
 * guarded gateway and answered before the 101. After every case a legitimate
 * client still connects and gets `whoami`, nothing was fetched from the
 * loopback server that `jku`/`x5u` point at, `Object.prototype` is untouched,
 * and (at the end) no credential appears in any log line.
 */
describe('security catalogue: JWT attacks', () => {
  const sent = new SentCredentials(TEST_SECRET);
  /** Where `jku` and `x5u` point: it would serve the attacker's key, and must never be asked. */
  let keyHost: RecordingHttpServer;
  let chat: RunningChatApp;
  let oidcChat: RunningChatApp;
  let idp: RunningOidcIssuer;
  let library: RunningTestApp;

  beforeAll(async () => {
    keyHost = await startRecordingHttpServer((_, res) =>
      json(res, { keys: [{ ...attacker.publicKey.export({ format: 'jwk' }), kid: 'attacker', alg: 'RS256', use: 'sig' }] }),
    );
    idp = await startOidcIssuer();
    sent.add(idp.clientSecret);
    [chat, oidcChat] = await Promise.all([
      startChatApp(),
      startChatApp({ OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: CHAT_RESOURCE }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([chat?.close(), oidcChat?.close(), library?.close()]);
    await Promise.all([idp?.close(), keyHost?.close()]);
  });

  /** Sends the token, asserts the exact answer and everything that must hold after any attack. */
  const judge = async (ws: string, path: string, token: string, expected: ExpectedAnswer) => {
    sent.add(token);
    expectAnswer(await rawUpgrade(`${ws}${path}`, bearer(token)), expected, token);
    expect(prototypePolluted()).toBe(false);
    expect(keyHost.requests).toEqual([]);
  };

  describe('on the sample app, against its own HS256 tokens (CONTRACT.md: 401 invalid_token)', () => {
    let legit: string;
    const signed = (claims: Record<string, unknown> | string, header: Record<string, unknown> = HS256) =>
      jws(header, claims, hmac(TEST_SECRET, String(header.alg ?? 'HS256')));
    const forged = (claims: Record<string, unknown>, header: Record<string, unknown> = HS256) =>
      jws(header, claims, hmac(ATTACKER_SECRET));

    beforeAll(async () => {
      legit = sent.add(await login(chat.http));
    });

    const rows: Row[] = [
      // alg: none and the allowlist
      ...['none', 'None', 'NONE', 'nOnE'].map((alg): Row => [`alg "${alg}", empty signature`, () => `${b64url({ alg, typ: 'JWT' })}.${b64url(ownClaims())}.`, Answer.invalidToken]),
      ['alg "none" carrying a valid HS256 signature', () => jws({ alg: 'none', typ: 'JWT' }, ownClaims(), hmac(TEST_SECRET)), Answer.invalidToken],
      ['no alg at all', () => jws({ typ: 'JWT' }, ownClaims(), hmac(TEST_SECRET)), Answer.invalidToken],
      ['alg as an array ["HS256"]', () => jws({ alg: ['HS256'] }, ownClaims(), hmac(TEST_SECRET)), Answer.invalidToken],
      ['HS384 signed with the right secret (off the HS256-only allowlist)', () => signed(ownClaims(), { alg: 'HS384', typ: 'JWT' }), Answer.invalidToken],
      ['HS512 signed with the right secret (off the allowlist)', () => signed(ownClaims(), { alg: 'HS512', typ: 'JWT' }), Answer.invalidToken],
      ['RS256 signed with an RSA key of the attacker (off the allowlist)', () => jws({ alg: 'RS256' }, ownClaims(), asymmetric(attacker.privateKey, 'RS256')), Answer.invalidToken],
      ['HS256 keyed with an RSA public key PEM', () => jws(HS256, ownClaims(), hmac(attacker.publicKey.export({ type: 'spki', format: 'pem' }))), Answer.invalidToken],
      // the signature
      ['one bit of the signature flipped', () => flipSignatureBit(legit), Answer.invalidToken],
      ['an empty signature', () => withoutSignature(legit), Answer.invalidToken],
      ['the payload changed to another user, the signature kept', () => `${legit.split('.')[0]}.${b64url(ownClaims({ sub: 'bart' }))}.${legit.split('.')[2]}`, Answer.invalidToken],
      ['a signature made with a guessed secret', () => forged(ownClaims()), Answer.invalidToken],
      // header parameters that name their own key
      ['an embedded jwk (oct) with the key it was signed with', () => jws({ ...HS256, jwk: { kty: 'oct', k: b64url(ATTACKER_SECRET) } }, ownClaims(), hmac(ATTACKER_SECRET)), Answer.invalidToken],
      ['an embedded jwk (RSA), self-signed RS256', () => jws({ alg: 'RS256', jwk: attacker.publicKey.export({ format: 'jwk' }) }, ownClaims(), asymmetric(attacker.privateKey, 'RS256')), Answer.invalidToken],
      ['a jku pointing at a loopback server', () => forged(ownClaims(), { ...HS256, jku: `${keyHost.url}/jwks.json`, kid: 'attacker' }), Answer.invalidToken],
      ['an x5u pointing at a loopback server', () => forged(ownClaims(), { ...HS256, x5u: `${keyHost.url}/cert.pem` }), Answer.invalidToken],
      ['a jku, RS256 self-signed with the key it serves', () => jws({ alg: 'RS256', jku: `${keyHost.url}/jwks.json`, kid: 'attacker' }, ownClaims(), asymmetric(attacker.privateKey, 'RS256')), Answer.invalidToken],
      ...KID_INJECTIONS.map(([name, kid]): Row => [`kid: ${name}`, () => forged(ownClaims(), { ...HS256, kid }), Answer.invalidToken]),
      ['an unknown crit extension, signed with the right secret', () => signed(ownClaims(), { ...HS256, crit: ['x-ws-auth-test'], 'x-ws-auth-test': true }), Answer.invalidToken],
      // structure and encoding
      ['a five-segment JWE-shaped token', () => `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${b64url('key')}.${b64url('iv')}.${b64url(JSON.stringify(ownClaims()))}.${b64url('tag')}`, Answer.invalidToken],
      ['two segments, no signature part', () => legit.split('.').slice(0, 2).join('.'), Answer.invalidToken],
      ['a character outside base64url and RFC 6750 b64token ("!")', () => `${legit.split('.')[0]}!.${legit.split('.').slice(1).join('.')}`, Answer.invalidToken],
      ['base64 "+" and "/" in place of base64url', () => `${legit.split('.')[0]}+/.${legit.split('.').slice(1).join('.')}`, Answer.invalidToken],
      ['a header that is not JSON, signed with the right secret', () => { const input = `${b64url('not json')}.${b64url(ownClaims())}`; return `${input}.${hmac(TEST_SECRET)(input).toString('base64url')}`; }, Answer.invalidToken],
      ['a payload that is not JSON, signed with the right secret', () => signed('{"sub":"maggie",'), Answer.invalidToken],
      ['a payload that is a JSON array, signed with the right secret', () => signed(JSON.stringify([ownClaims()])), Answer.invalidToken],
      ['a payload that is JSON null, signed with the right secret', () => signed('null'), Answer.invalidToken],
      // prototype pollution through the claims
      ['a "__proto__" key, signed with the right secret: accepted, nothing polluted', () => signed(pollutingPayload(ownClaims(), '__proto__')), Answer.switched],
      ['a "constructor.prototype" key, signed with the right secret: accepted, nothing polluted', () => signed(pollutingPayload(ownClaims(), 'constructor')), Answer.switched],
      ['a "__proto__" key with a forged signature (decoded before verification)', () => jws(HS256, pollutingPayload(ownClaims(), '__proto__'), hmac(ATTACKER_SECRET)), Answer.invalidToken],
      // time claims (CONTRACT.md: at most 5 s of leeway)
      ['exp equal to now', () => signed(ownClaims({ exp: nowSec() })), Answer.invalidToken],
      ['exp 4 s ago, inside the verifier leeway (the server clock refuses an expired token)', () => signed(ownClaims({ iat: nowSec() - 60, exp: nowSec() - 4 })), Answer.invalidToken],
      ['exp 6 s ago, past the leeway', () => signed(ownClaims({ iat: nowSec() - 60, exp: nowSec() - 6 })), Answer.invalidToken],
      ['no exp', () => signed(ownClaims({ exp: undefined })), Answer.invalidToken],
      ['exp as a string', () => signed(ownClaims({ exp: String(nowSec() + 300) })), Answer.invalidToken],
      ['nbf 4 s ahead, within the leeway', () => signed(ownClaims({ nbf: nowSec() + 4 })), Answer.switched],
      ['nbf 7 s ahead, past the leeway', () => signed(ownClaims({ nbf: nowSec() + 7 })), Answer.invalidToken],
      ['nbf an hour ahead', () => signed(ownClaims({ nbf: nowSec() + 3600 })), Answer.invalidToken],
      ['iat 4 s ahead, within the leeway', () => signed(ownClaims({ iat: nowSec() + 4 })), Answer.switched],
      ['iat an hour ahead (would escape a revocation of every session issued until now)', () => signed(ownClaims({ iat: nowSec() + 3600 })), Answer.invalidToken],
      ['iat as a string', () => signed(ownClaims({ iat: String(nowSec()) })), Answer.invalidToken],
      // subject and session
      ['no sub', () => signed(ownClaims({ sub: undefined })), Answer.invalidToken],
      ['sub a number', () => signed(ownClaims({ sub: 42 })), Answer.invalidToken],
      ['sub an array', () => signed(ownClaims({ sub: ['maggie'] })), Answer.invalidToken],
      ['sub an object', () => signed(ownClaims({ sub: { toString: 'maggie' } })), Answer.invalidToken],
      ['sub an empty string', () => signed(ownClaims({ sub: '' })), Answer.invalidToken],
      ['no sid (CONTRACT.md: an own token without sid is refused)', () => signed(ownClaims({ sid: undefined })), Answer.invalidToken],
      ['sid a number', () => signed(ownClaims({ sid: 7 })), Answer.invalidToken],
    ];

    it.each(rows)('%s', async (_, make, expected) => {
      await judge(chat.ws, '/chat', await make(), expected);
      await expectStillServes(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${legit}` } }, { sub: 'maggie', source: 'header' });
    });
  });

  describe("on the sample app with OIDC_ISSUER, against the issuer's RS256 access tokens (CONTRACT.md)", () => {
    let issuerToken: string;
    let issuerKey: KeyObject;
    let issuerPublicKey: KeyObject;
    let requestsBefore: number;
    const claims = (overrides: Record<string, unknown> = {}) => ({
      iss: idp.issuer,
      sub: CLIENT_ID,
      aud: CHAT_RESOURCE,
      client_id: CLIENT_ID,
      scope: 'chat:read',
      jti: 'security-catalogue',
      iat: nowSec(),
      exp: nowSec() + 300,
      ...overrides,
    });
    const at = (header: Record<string, unknown> = {}) => ({ alg: 'RS256', typ: 'at+jwt', kid: idp.key.kid, ...header });
    /** Signed with the issuer's real private key: only the named defect can make it fail. */
    const issued = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
      jws(at(header), claims(overrides), asymmetric(issuerKey, String(at(header).alg)));
    const selfSigned = (header: Record<string, unknown>) => jws(at(header), claims(), asymmetric(attacker.privateKey, 'RS256'));

    beforeAll(async () => {
      issuerKey = createPrivateKey({ key: idp.key.privateJwk as never, format: 'jwk' });
      issuerPublicKey = createPublicKey({ key: idp.key.publicJwk as never, format: 'jwk' });
      issuerToken = sent.add(await idp.clientToken());
      // The control: a real token opens a socket (and warms the key cache).
      await judge(oidcChat.ws, '/chat', issuerToken, Answer.switched);
      requestsBefore = idp.requests.length;
    });

    const rows: Row[] = [
      ...PUBLIC_KEY_FORMS.map(([form, bytes]): Row => [
        `HS256 with the issuer's iss, keyed with ${form}`,
        () => jws({ alg: 'HS256', typ: 'at+jwt', kid: idp.key.kid }, claims(), hmac(bytes(issuerPublicKey))),
        Answer.invalidToken,
      ]),
      ["HS256 with the issuer's iss, signed with the app's own secret", () => jws({ alg: 'HS256', typ: 'at+jwt' }, claims(), hmac(TEST_SECRET)), Answer.invalidToken],
      ["alg none with the issuer's iss", () => `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claims())}.`, Answer.invalidToken],
      ["RS512 with the issuer's own key (off the app's RS256/ES256 allowlist)", () => issued({}, { alg: 'RS512' }), Answer.invalidToken],
      ["PS256 with the issuer's own key (off the allowlist)", () => issued({}, { alg: 'PS256' }), Answer.invalidToken],
      ['typ JWT instead of at+jwt (an ID token, say)', () => issued({}, { typ: 'JWT' }), Answer.invalidToken],
      ['no typ', () => jws({ alg: 'RS256', kid: idp.key.kid }, claims(), asymmetric(issuerKey, 'RS256')), Answer.invalidToken],
      ["an embedded jwk, self-signed, with the issuer's kid", () => selfSigned({ jwk: attacker.publicKey.export({ format: 'jwk' }) }), Answer.invalidToken],
      ['an embedded jwk, self-signed, with its own kid', () => selfSigned({ kid: 'attacker', jwk: attacker.publicKey.export({ format: 'jwk' }) }), Answer.invalidToken],
      ['an embedded ES256 jwk, self-signed', () => jws({ alg: 'ES256', typ: 'at+jwt', jwk: attackerEc.publicKey.export({ format: 'jwk' }) }, claims(), asymmetric(attackerEc.privateKey, 'ES256')), Answer.invalidToken],
      ['a jku pointing at a loopback server that serves the signing key', () => selfSigned({ kid: 'attacker', jku: `${keyHost.url}/jwks.json` }), Answer.invalidToken],
      ['an x5u pointing at a loopback server', () => selfSigned({ kid: 'attacker', x5u: `${keyHost.url}/cert.pem` }), Answer.invalidToken],
      ...KID_INJECTIONS.map(([name, kid]): Row => [`kid: ${name}, signed with the issuer's key`, () => issued({}, { kid }), Answer.invalidToken]),
      ["an unknown crit extension, signed with the issuer's key", () => issued({}, { crit: ['x-ws-auth-test'], 'x-ws-auth-test': true }), Answer.invalidToken],
      ['a real token with one bit of its signature flipped', () => flipSignatureBit(issuerToken), Answer.invalidToken],
      ['a real token with its signature removed', () => withoutSignature(issuerToken), Answer.invalidToken],
      ['a real token for another resource (wrong aud)', () => idp.clientToken({ resource: 'urn:ws-auth:another-api' }), Answer.invalidToken],
      ['no aud', () => issued({ aud: undefined }), Answer.invalidToken],
      ['iss with a trailing slash (exact match only)', () => issued({ iss: `${idp.issuer}/` }), Answer.invalidToken],
      ['iss of another, untrusted issuer', () => issued({ iss: 'http://127.0.0.1:1/untrusted' }), Answer.invalidToken],
      ['no sub', () => issued({ sub: undefined }), Answer.invalidToken],
      ['sub a number', () => issued({ sub: 42 }), Answer.invalidToken],
      ['no exp', () => issued({ exp: undefined }), Answer.invalidToken],
      ['exp 10 s ago', () => issued({ iat: nowSec() - 120, exp: nowSec() - 10 }), Answer.invalidToken],
      ['nbf a minute ahead', () => issued({ nbf: nowSec() + 60 }), Answer.invalidToken],
      ['iat an hour ahead', () => issued({ iat: nowSec() + 3600 }), Answer.invalidToken],
      ['a cnf claim (a sender-constrained token used as a bearer token)', () => issued({ cnf: { jkt: 'thumbprint' } }), Answer.invalidToken],
      ["a \"__proto__\" key, signed with the issuer's key: accepted, nothing polluted", () => jws(at(), pollutingPayload(claims(), '__proto__'), asymmetric(issuerKey, 'RS256')), Answer.switched],
    ];

    it.each(rows)('%s', async (_, make, expected) => {
      await judge(oidcChat.ws, '/chat', await make(), expected);
      await expectStillServes(`${oidcChat.ws}/chat`, { headers: { Authorization: `Bearer ${issuerToken}` } }, { sub: CLIENT_ID, source: 'header' });
    });

    it('asked the issuer for no key during any of it: header refusals fetch nothing, forged kids cause no refetch within the cooldown', () => {
      expect(idp.requests.slice(requestsBefore).filter((path) => path !== '/token')).toEqual([]);
    });
  });

  describe('on a small app, against JwtVerifier with an RSA publicKey and algorithms ["RS256"] (the library)', () => {
    const keys = rsa();
    const signedBy = (key: KeyObject, alg: string, header: Record<string, unknown> = {}) =>
      jws({ alg, typ: 'JWT', ...header }, ownClaims(), asymmetric(key, alg));
    let legit: string;

    beforeAll(async () => {
      library = await startTestApp({
        auth: { verifiers: [new JwtVerifier({ publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }) as string, algorithms: ['RS256'] })] },
      });
      legit = sent.add(signedBy(keys.privateKey, 'RS256'));
      await judge(library.ws, '/secure', legit, Answer.switched);
    });

    const rows: Row[] = [
      ...PUBLIC_KEY_FORMS.map(([form, bytes]): Row => [`HS256 keyed with the verifier's public key: ${form}`, () => jws(HS256, ownClaims(), hmac(bytes(keys.publicKey))), Answer.invalidToken]),
      ['RS512 signed with the right key (off the allowlist)', () => signedBy(keys.privateKey, 'RS512'), Answer.invalidToken],
      ['PS256 signed with the right key (off the allowlist)', () => signedBy(keys.privateKey, 'PS256'), Answer.invalidToken],
      ['ES256 signed with an attacker key', () => signedBy(attackerEc.privateKey, 'ES256'), Answer.invalidToken],
      ['alg none', () => `${b64url({ alg: 'none' })}.${b64url(ownClaims())}.`, Answer.invalidToken],
      ['RS256 self-signed with the key embedded as jwk', () => signedBy(attacker.privateKey, 'RS256', { jwk: attacker.publicKey.export({ format: 'jwk' }) }), Answer.invalidToken],
      ['RS256 self-signed with a jku to the loopback server serving that key', () => signedBy(attacker.privateKey, 'RS256', { kid: 'attacker', jku: `${keyHost.url}/jwks.json` }), Answer.invalidToken],
      ['RS256 self-signed with an x5u to the loopback server', () => signedBy(attacker.privateKey, 'RS256', { x5u: `${keyHost.url}/cert.pem` }), Answer.invalidToken],
      ['one bit of a valid signature flipped', () => flipSignatureBit(legit), Answer.invalidToken],
      ['an unknown crit extension, signed with the right key', () => signedBy(keys.privateKey, 'RS256', { crit: ['x-ws-auth-test'], 'x-ws-auth-test': 1 }), Answer.invalidToken],
      ['iat an hour ahead, signed with the right key', () => jws({ alg: 'RS256' }, ownClaims({ iat: nowSec() + 3600 }), asymmetric(keys.privateKey, 'RS256')), Answer.invalidToken],
    ];

    it.each(rows)('%s', async (_, make, expected) => {
      await judge(library.ws, '/secure', await make(), expected);
      await expectStillServes(`${library.ws}/secure`, { headers: { Authorization: `Bearer ${legit}` } }, expect.objectContaining({ subject: 'maggie', source: 'header' }));
    });
  });

  it('printed no credential in any log line of any of the apps', () => {
    const captures = [chat.logs, oidcChat.logs, library.logs];
    expect(allLines(...captures).filter((line) => line.includes('Handshake refused')).length).toBeGreaterThan(50);
    sent.audit(...captures);
  });
});
