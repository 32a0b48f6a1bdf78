import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, WebSocket as PageSocket } from 'playwright-core';
import request from 'supertest';
import { chromiumAvailable, launchChromium } from './support/browser.js';
import { buildClient } from './support/build-client.js';
import { startChatApp, type RunningChatApp } from './support/chat-app.js';
import { freePort } from './support/free-port.js';

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

/** Logs in through the page's form and waits until its socket is open. */
async function logIn(page: Page, chat: RunningChatApp, username: string, password: string, mode: 'ticket' | 'protocol' = 'ticket') {
  await page.goto(`${chat.origin}/`);
  await page.fill('#login input[name=username]', username);
  await page.fill('#login input[name=password]', password);
  await page.check(`#login input[name=mode][value=${mode}]`);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#state[data-state=open]');
}

async function joinRoom(page: Page, room: string) {
  await page.fill('#join input[name=room]', room);
  await page.click('#join button');
  await page.waitForSelector(`#say select option[value="${room}"]`, { state: 'attached' });
}

/** What a page's own WebSocket saw: did it open, and how did it close. */
const openFromPage = (page: Page, url: string, protocols?: string[]) =>
  page.evaluate(
    ({ url, protocols }) =>
      new Promise<{ opened: boolean; code: number }>((resolve) => {
        const socket = new WebSocket(url, protocols);
        let opened = false;
        socket.onopen = () => {
          opened = true;
          socket.close(1000);
        };
        socket.onclose = (event) => resolve({ opened, code: event.code });
      }),
    { url, protocols },
  );

describeWithChromium('the chat page in headless Chromium', () => {
  let browser: Browser;
  let chat: RunningChatApp;
  const contexts: BrowserContext[] = [];

  const newPage = async () => {
    const context = await browser.newContext();
    contexts.push(context);
    return context.newPage();
  };

  beforeAll(async () => {
    buildClient();
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    chat = await startChatApp({ ACCESS_TOKEN_TTL: '6' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await chat?.close();
  });

  it('lets two users in two browser contexts chat over tickets', async () => {
    const maggie = await newPage();
    const bart = await newPage();
    const sockets: PageSocket[] = [];
    maggie.on('websocket', (socket) => sockets.push(socket));
    await logIn(maggie, chat, 'maggie', 'secret');
    await logIn(bart, chat, 'bart', 'eatmyshorts');
    await joinRoom(maggie, 'lobby');
    await joinRoom(bart, 'lobby');
    await maggie.fill('#say input[name=text]', 'Hi Bart');
    await maggie.click('#say button');
    await bart.waitForSelector('#messages li:has-text("maggie: Hi Bart")');
    await maggie.waitForSelector('#messages li:has-text("maggie: Hi Bart")');
    // The socket was opened with a ticket: no token in its URL.
    expect(sockets[0].url()).toMatch(/\/chat\?ticket=[A-Za-z0-9_-]{43}$/);
    await maggie.screenshot({ path: join(ARTIFACTS, 'chat.png'), fullPage: true });
  });

  it('connects with the subprotocol form when chosen, the token never in the URL', async () => {
    const page = await newPage();
    const sockets: PageSocket[] = [];
    page.on('websocket', (socket) => sockets.push(socket));
    await logIn(page, chat, 'bart', 'eatmyshorts', 'protocol');
    await joinRoom(page, 'protocol-room');
    expect(sockets[0].url()).toMatch(/\/chat$/);
  });

  it('refuses a replayed ticket: the second socket never opens', async () => {
    const page = await newPage();
    await page.goto(`${chat.origin}/`);
    const token = (await request(chat.http).post('/auth/login').send({ username: 'maggie', password: 'secret' })).body.access_token;
    const ticket = await page.evaluate(async (token: string) => {
      const res = await fetch('/auth/ticket', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      return ((await res.json()) as { ticket: string }).ticket;
    }, token);
    const url = `${chat.ws}/chat?ticket=${ticket}`;
    await expect(openFromPage(page, url)).resolves.toEqual({ opened: true, code: 1000 });
    await expect(openFromPage(page, url)).resolves.toEqual({ opened: false, code: 1006 });
  });

  describe('a page from a foreign origin', () => {
    let foreign: Server;
    let foreignOrigin: string;

    beforeAll(async () => {
      const port = await freePort();
      foreign = createServer((_, res) => res.end('<!doctype html><title>elsewhere</title>'));
      await new Promise<void>((resolve) => foreign.listen(port, '127.0.0.1', resolve));
      foreignOrigin = `http://127.0.0.1:${port}`;
    });
    afterAll(() => new Promise((resolve) => foreign.close(resolve)));

    it('is refused although it holds a valid token', async () => {
      const token = (await request(chat.http).post('/auth/login').send({ username: 'maggie', password: 'secret' })).body.access_token;
      const page = await newPage();
      await page.goto(foreignOrigin);
      await expect(openFromPage(page, `${chat.ws}/chat`, ['access_token', token])).resolves.toEqual({ opened: false, code: 1006 });
      // The same token from the app's own page opens: the Origin made the difference.
      await page.goto(`${chat.origin}/`);
      await expect(openFromPage(page, `${chat.ws}/chat`, ['access_token', token])).resolves.toEqual({ opened: true, code: 1000 });
    });
  });

  it('refreshes a token about to expire in band, keeping the one socket', async () => {
    const page = await newPage();
    const sockets: PageSocket[] = [];
    page.on('websocket', (socket) => sockets.push(socket));
    await logIn(page, chat, 'maggie', 'secret');
    // ACCESS_TOKEN_TTL is 6 s: wait past the first token's expiry and its close window.
    await page.waitForSelector('#messages li.notice:has-text("Token refreshed")', { timeout: 8000 });
    await page.waitForTimeout(6000);
    expect(sockets).toHaveLength(1);
    expect(sockets[0].isClosed()).toBe(false);
    await expect(page.getAttribute('#state', 'data-state')).resolves.toBe('open');
  }, 20_000);

  it('closes the socket on logout and returns to the login form; another login of the user stays', async () => {
    const page = await newPage();
    const other = await newPage();
    await logIn(page, chat, 'maggie', 'secret');
    await logIn(other, chat, 'maggie', 'secret');
    await page.click('#logout');
    await page.waitForSelector('#login', { state: 'visible' });
    await expect(page.isHidden('#chat')).resolves.toBe(true);
    await expect(page.getAttribute('#state', 'data-code')).resolves.toBe('4403');
    await expect(page.getAttribute('#state', 'data-state')).resolves.toBe('closed');
    await expect(other.getAttribute('#state', 'data-state')).resolves.toBe('open');
  });
});
