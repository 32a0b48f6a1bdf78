import request from 'supertest';
import WebSocket from 'ws';
import { startChatApp, TEST_SECRET, type RunningChatApp } from './support/chat-app.js';
import { ownClaims, rsaKeyPair, signHs, unsigned } from './support/tokens.js';
import { ask, closed, connect, rawUpgrade } from './support/ws-client.js';

/** CONTRACT.md: HTTP login and the /chat handshake, header and protocol sources. */
describe('chat app: login and the /chat handshake', () => {
  let chat: RunningChatApp;
  let token: string;
  /** Every credential the tests send, so the log audit can look for each. */
  const sent: string[] = [];

  const login = async (username = 'maggie', password = 'secret') => {
    const res = await request(chat.http).post('/auth/login').send({ username, password }).expect(200);
    sent.push(res.body.access_token);
    return res.body.access_token as string;
  };
  const bearer = (value: string): Array<[string, string]> => {
    sent.push(value);
    return [['Authorization', `Bearer ${value}`]];
  };
  const expectInvalidToken = (answer: { status: number; headers: Record<string, unknown>; body: string }) => {
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
  };

  beforeAll(async () => {
    chat = await startChatApp();
    token = await login();
  });
  afterAll(async () => {
    await chat?.close();
  });

  describe('POST /auth/login', () => {
    it('returns an HS256 access token with sub, sid, iat and exp', async () => {
      const res = await request(chat.http).post('/auth/login').send({ username: 'bart', password: 'eatmyshorts' }).expect(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900 });
      const [header, payload] = res.body.access_token.split('.').slice(0, 2).map((part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()));
      expect(header.alg).toBe('HS256');
      expect(payload).toEqual({ sub: 'bart', sid: expect.any(String), iat: expect.any(Number), exp: payload.iat + 900 });
    });

    it('gives each login its own session id', async () => {
      const sid = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).sid;
      expect(sid(await login())).not.toBe(sid(await login()));
    });

    it.each([
      ['a wrong password', { username: 'maggie', password: 'nope' }],
      ['an unknown user', { username: 'homer', password: 'secret' }],
    ])('answers 401 for %s', async (_, body) => {
      await request(chat.http).post('/auth/login').send(body).expect(401);
    });

    it.each([
      ['a body that is not JSON', '{"username":', 'application/json'],
      ['missing fields', '{"username":"maggie"}', 'application/json'],
      ['fields that are not strings', '{"username":1,"password":["secret"]}', 'application/json'],
    ])('answers 400 for %s', async (_, body, type) => {
      await request(chat.http).post('/auth/login').set('Content-Type', type).send(body).expect(400);
    });
  });

  describe('accepted credentials', () => {
    it('accepts Authorization: Bearer and reports source "header"', async () => {
      const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'header' } });
      socket.close();
    });

    it('accepts the subprotocol pair, answers "access_token" and reports source "protocol"', async () => {
      const socket = await connect(`${chat.ws}/chat`, { protocols: ['access_token', token] });
      expect(socket.protocol).toBe('access_token');
      await expect(ask(socket, 'whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'maggie', source: 'protocol' } });
      socket.close();
    });

    it('never echoes a token offered first among the protocols', async () => {
      const answer = await rawUpgrade(`${chat.ws}/chat`, [['Sec-WebSocket-Protocol', `${token}, access_token`]]);
      expect(answer.status).toBe(101);
      expect(answer.headers['sec-websocket-protocol']).toBe('access_token');
      expect(JSON.stringify(answer.headers)).not.toContain(token);
    });

    it('accepts the base64url.bearer form beside an application protocol, which it selects', async () => {
      const socket = await connect(`${chat.ws}/chat`, {
        protocols: ['chat.v1', `base64url.bearer.${Buffer.from(token).toString('base64url')}`],
      });
      expect(socket.protocol).toBe('chat.v1');
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ data: { sub: 'maggie', source: 'protocol' } });
      socket.close();
    });

    it('accepts an allowed Origin and a request with no Origin', async () => {
      expect((await rawUpgrade(`${chat.ws}/chat`, [['Origin', chat.origin], ...bearer(token)])).status).toBe(101);
      expect((await rawUpgrade(`${chat.ws}/chat`, bearer(token))).status).toBe(101);
    });
  });

  describe('refused before the 101', () => {
    it('answers 401 with a bare challenge when no credential is sent', async () => {
      const answer = await rawUpgrade(`${chat.ws}/chat`);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
    });

    it('treats the Basic scheme as no bearer credential', async () => {
      const answer = await rawUpgrade(`${chat.ws}/chat`, [['Authorization', 'Basic bWFnZ2llOnNlY3JldA==']]);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
    });

    it('answers 401 invalid_token for an empty bearer', async () => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, [['Authorization', 'Bearer ']]));
    });

    it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg "%s"', async (alg) => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(unsigned(ownClaims(), alg))));
    });

    it('refuses a token signed with another key', async () => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(signHs(ownClaims(), 'another-secret-of-enough-length-000000'))));
    });

    it('refuses HS256 signed with an RSA public key as the secret (key confusion)', async () => {
      const { publicKey } = rsaKeyPair();
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(signHs(ownClaims(), publicKey))));
    });

    it('refuses HS384 although it is signed with the right secret (off the allowlist)', async () => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(signHs(ownClaims(), TEST_SECRET, { alg: 'HS384', typ: 'JWT' }))));
    });

    it('refuses a tampered payload', async () => {
      const [header, , signature] = token.split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify(ownClaims({ sub: 'bart' }))).toString('base64url')}.${signature}`;
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(forged)));
    });

    it('refuses an expired token beyond the leeway', async () => {
      const now = Math.floor(Date.now() / 1000);
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(signHs(ownClaims({ iat: now - 60, exp: now - 10 }), TEST_SECRET))));
    });

    it('refuses a token whose nbf is beyond the leeway', async () => {
      const now = Math.floor(Date.now() / 1000);
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(signHs(ownClaims({ nbf: now + 60 }), TEST_SECRET))));
    });

    it('accepts a token whose nbf is within the 5 s leeway', async () => {
      const now = Math.floor(Date.now() / 1000);
      expect((await rawUpgrade(`${chat.ws}/chat`, bearer(signHs(ownClaims({ nbf: now + 3 }), TEST_SECRET)))).status).toBe(101);
    });

    it('refuses an own token without sid', async () => {
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(signHs(ownClaims({ sid: undefined }), TEST_SECRET))));
    });

    it('refuses a 12 KB token before verifying it', async () => {
      const huge = signHs(ownClaims({ pad: 'x'.repeat(8800) }), TEST_SECRET);
      expectInvalidToken(await rawUpgrade(`${chat.ws}/chat`, bearer(huge)));
    });

    it('answers 400 invalid_request for 60 subprotocols', async () => {
      const protocols = Array.from({ length: 60 }, (_, i) => `p${i}`).join(', ');
      const answer = await rawUpgrade(`${chat.ws}/chat`, [['Sec-WebSocket-Protocol', protocols], ...bearer(token)]);
      expect(answer.status).toBe(400);
      expect(answer.headers['www-authenticate']).toMatch(/error="invalid_request"/);
    });

    it.each<[string, () => Array<[string, string]>]>([
      ['a header and a subprotocol', () => [...bearer(token), ['Sec-WebSocket-Protocol', `access_token, ${token}`]]],
      ['two Authorization headers', () => [...bearer(token), ...bearer(token)]],
      ['access_token offered twice', () => [['Sec-WebSocket-Protocol', `access_token, ${token}, access_token, ${token}`]]],
      ['two Sec-WebSocket-Protocol headers each with a token', () => [['Sec-WebSocket-Protocol', `access_token, ${token}`], ['Sec-WebSocket-Protocol', `access_token, ${token}`]]],
      ['both subprotocol forms', () => [['Sec-WebSocket-Protocol', `access_token, ${token}, base64url.bearer.${Buffer.from(token).toString('base64url')}`]]],
    ])('answers 400 invalid_request for %s', async (_, headers) => {
      const answer = await rawUpgrade(`${chat.ws}/chat`, headers());
      expect(answer.status).toBe(400);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+", error="invalid_request"$/);
    });

    it('answers 403 for an Origin outside the allowlist, even with a valid token', async () => {
      const answer = await rawUpgrade(`${chat.ws}/chat`, [['Origin', 'http://evil.example'], ...bearer(token)]);
      expect(answer.status).toBe(403);
    });

    it('ignores ?access_token= (off by default, RFC 9700 §4.3.2)', async () => {
      const answer = await rawUpgrade(`${chat.ws}/chat?access_token=${token}`);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"$/);
    });

    it('keeps every credential out of response bodies and headers', async () => {
      const answers = await Promise.all([
        rawUpgrade(`${chat.ws}/chat`, bearer(signHs(ownClaims(), 'wrong-secret-wrong-secret-wrong-secret'))),
        rawUpgrade(`${chat.ws}/chat`, [['Sec-WebSocket-Protocol', `access_token, ${token}, access_token, ${token}`]]),
        rawUpgrade(`${chat.ws}/chat`, [['Origin', 'http://evil.example'], ...bearer(token)]),
      ]);
      for (const answer of answers) {
        expect(answer.body + JSON.stringify(answer.headers)).not.toContain(token.split('.')[2]);
      }
    });
  });

  describe('a plain HTTP request to a gateway path', () => {
    it.each(['/chat', '/feed'])('gets 404 on %s without the URL or its ticket in the body or headers', async (path) => {
      const ticket = 'plain-get-ticket-9f8e7d6c5b4a39281706';
      const response = await fetch(`${chat.http}${path}?ticket=${ticket}&access_token=${token}`);
      const body = await response.text();
      expect(response.status).toBe(404);
      const answer = body + JSON.stringify([...response.headers]);
      for (const leaked of [ticket, token, token.split('.')[2], path]) {
        expect(answer).not.toContain(leaked);
      }
    });
  });

  describe('messages', () => {
    it('joins a room and delivers say to every member', async () => {
      const bart = await login('bart', 'eatmyshorts');
      const a = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
      const b = await connect(`${chat.ws}/chat`, { protocols: ['access_token', bart] });
      await expect(ask(a, 'join', { room: 'lobby' })).resolves.toEqual({ event: 'joined', data: { room: 'lobby' } });
      await expect(ask(b, 'join', { room: 'lobby' })).resolves.toEqual({ event: 'joined', data: { room: 'lobby' } });
      const heardByA = new Promise((resolve) => a.once('message', (data) => resolve(JSON.parse(data.toString()))));
      const heardByB = ask(b, 'say', { room: 'lobby', text: 'Eat my shorts' });
      const said = { event: 'said', data: { room: 'lobby', from: 'bart', text: 'Eat my shorts' } };
      await expect(heardByA).resolves.toEqual(said);
      await expect(heardByB).resolves.toEqual(said);
      a.close();
      b.close();
    });

    it('refuses a say to a room the socket has not joined, and the room\'s members hear nothing', async () => {
      const bart = await login('bart', 'eatmyshorts');
      const member = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
      const outsider = await connect(`${chat.ws}/chat`, { protocols: ['access_token', bart] });
      await ask(member, 'join', { room: 'kitchen' });
      const heard: unknown[] = [];
      member.on('message', (data) => heard.push(JSON.parse(data.toString())));
      await expect(ask(outsider, 'say', { room: 'kitchen', text: 'uninvited' })).resolves.toMatchObject({
        event: 'exception',
        data: { status: 'error' },
      });
      // A frame the member sends itself comes back after anything said before it.
      await expect(ask(member, 'say', { room: 'kitchen', text: 'still here' })).resolves.toMatchObject({ event: 'said' });
      expect(heard).toEqual([{ event: 'said', data: { room: 'kitchen', from: 'maggie', text: 'still here' } }]);
      await expect(ask(outsider, 'whoami')).resolves.toMatchObject({ event: 'whoami' });
      member.close();
      outsider.close();
    });

    it('answers a malformed join with an exception frame and keeps the socket', async () => {
      const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
      await expect(ask(socket, 'join', { room: 42 })).resolves.toMatchObject({ event: 'exception', data: { status: 'error' } });
      await expect(ask(socket, 'whoami')).resolves.toMatchObject({ event: 'whoami' });
      socket.close();
    });
  });

  it('kept serving valid clients through all of the above', async () => {
    const socket = await connect(`${chat.ws}/chat`, { headers: { Authorization: `Bearer ${token}` } });
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
    await closed(socket).catch(() => undefined);
  });

  it('printed no credential in any log line', () => {
    expect(chat.logs.lines.some((line) => line.includes('Handshake refused'))).toBe(true);
    chat.logs.assertNoneContain(TEST_SECRET, ...sent);
  });
});
