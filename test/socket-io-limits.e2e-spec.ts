import request from 'supertest';
import { startChatApp, type RunningChatApp } from './support/chat-app.js';
import { connected, IO_TRANSPORTS, ioSocket, refused, type IoTransports } from './support/io-client.js';
import { eventually } from './support/eventually.js';

const overEachTransport = IO_TRANSPORTS.map((transports) => [transports.join('+'), transports] as [string, IoTransports]);

/** CONTRACT.md: MAX_SOCKETS_PER_USER; over Socket.IO the next one gets `connect_error` `too_many_connections`. */
describe.each(overEachTransport)('MAX_SOCKETS_PER_USER over Socket.IO (%s)', (_, transports) => {
  let chat: RunningChatApp;
  const login = async (username: string, password: string): Promise<string> =>
    (await request(chat.http).post('/auth/login').send({ username, password }).expect(200)).body.access_token;

  beforeAll(async () => {
    chat = await startChatApp({ WS_TRANSPORT: 'socket.io', MAX_SOCKETS_PER_USER: '2' });
  });
  afterAll(() => chat?.close());

  it('refuses the socket past the limit, leaves another user alone, and frees a slot on disconnect', async () => {
    const maggie = await login('maggie', 'secret');
    const open = ioSocket(chat.http, { transports, auth: { token: maggie } });
    const second = ioSocket(chat.http, { transports, auth: { token: maggie } });
    await Promise.all([connected(open), connected(second)]);

    const error = await refused(ioSocket(chat.http, { transports, auth: { token: maggie } }));
    expect(error.message).toBe('too_many_connections');
    expect(error.data).toEqual({ code: 'too_many_connections' });

    const bart = ioSocket(chat.http, { transports, auth: { token: await login('bart', 'eatmyshorts') } });
    await connected(bart);

    second.close();
    // The slot comes back once the server has seen the Engine.IO connection close.
    const again = await eventually(async () => {
      const socket = ioSocket(chat.http, { transports, auth: { token: maggie } });
      try {
        return await connected(socket);
      } catch (refusal) {
        socket.close();
        throw refusal;
      }
    });
    for (const socket of [open, bart, again]) {
      socket.close();
    }
  });
});
