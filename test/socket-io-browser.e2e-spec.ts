import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium } from './support/browser.js';
import { startChatApp, type RunningChatApp } from './support/chat-app.js';

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;

/** Logs in through the Socket.IO page's form and waits until its socket is connected. */
async function logIn(page: Page, chat: RunningChatApp, username: string, password: string) {
  await page.goto(`${chat.origin}/`);
  await page.fill('#login input[name=username]', username);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#state[data-state=open]', { timeout: 5000 });
}

async function joinRoom(page: Page, room: string) {
  await page.fill('#join input[name=room]', room);
  await page.click('#join button');
  await page.waitForSelector(`#say select option[value="${room}"]`, { state: 'attached' });
}

/** CONTRACT.md "Socket.IO": `GET /` chats over Socket.IO in that mode, under the page's strict CSP. */
describeWithChromium('the Socket.IO chat page in headless Chromium', () => {
  let browser: Browser;
  let chat: RunningChatApp;
  const contexts: BrowserContext[] = [];
  const newPage = async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const problems: string[] = [];
    // Failed loads are judged by their URL below (the browser's own favicon request gets a 404).
    page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && problems.push(message.text()));
    page.on('response', (response) => response.status() >= 400 && !response.url().endsWith('/favicon.ico') && problems.push(`${response.status()} ${response.url()}`));
    page.on('pageerror', (error) => problems.push(error.message));
    return { page, problems };
  };

  beforeAll(async () => {
    browser = await launchChromium();
    chat = await startChatApp({ WS_TRANSPORT: 'socket.io' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await chat?.close();
  });

  it('lets two users chat, and a logout ends the socket with auth_closed 4403', async () => {
    const maggie = await newPage();
    const bart = await newPage();
    const urls: string[] = [];
    maggie.page.on('request', (request) => urls.push(request.url()));
    maggie.page.on('websocket', (socket) => urls.push(socket.url()));
    await logIn(maggie.page, chat, 'maggie', 'secret').catch(async (error) => {
      throw new Error(`${error.message}\n${await maggie.page.textContent('body')}\n${maggie.problems.join('\n')}`);
    });
    await logIn(bart.page, chat, 'bart', 'eatmyshorts');
    await joinRoom(maggie.page, 'lobby');
    await joinRoom(bart.page, 'lobby');
    await maggie.page.fill('#say input[name=text]', 'Hi Bart');
    await maggie.page.click('#say button');
    await bart.page.waitForSelector('#messages li:has-text("Hi Bart")');
    expect(await bart.page.textContent('#messages li:has-text("Hi Bart") .from')).toBe('maggie: ');

    await maggie.page.click('#logout');
    await maggie.page.waitForSelector('#state[data-state=closed][data-code="4403"]');
    expect(await maggie.page.isVisible('#login')).toBe(true);
    // Bart's socket is another login: untouched.
    expect(await bart.page.getAttribute('#state', 'data-state')).toBe('open');
    // No credential in any URL the page asked for; no CSP violation or script error.
    expect(urls.some((url) => /ticket=|token=|eyJ/.test(url))).toBe(false);
    expect(urls.some((url) => url.includes('/socket.io/'))).toBe(true);
    expect([...maggie.problems, ...bart.problems]).toEqual([]);
  });
});
