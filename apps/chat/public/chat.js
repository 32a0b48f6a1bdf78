// The chat page: log in, open /chat with a fresh ticket (or the token as a
// subprotocol), chat, refresh the token in band, and show why a socket closed.
import { WsAuthClient, WsAuthUnauthorizedError } from '/js/ws-auth-client.js';
import { $, addMessage, addNotice, addRoom } from '/chat-view.js';

const session = { username: '', password: '', token: '', client: null };

/** POST /auth/login; the demo keeps the password in memory to log in again when the token nears expiry. */
async function login() {
  const res = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: session.username, password: session.password }),
  });
  if (res.status === 401) {
    throw new WsAuthUnauthorizedError('Wrong username or password');
  }
  if (!res.ok) {
    throw new Error(`Login failed (${res.status})`);
  }
  session.token = (await res.json()).access_token;
  return session.token;
}

/** POST /auth/ticket: a refused handshake shows in a browser only as 1006, so this is where a bad token is told. */
async function fetchTicket() {
  const res = await fetch('/auth/ticket', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` } });
  if (res.status === 401) {
    throw new WsAuthUnauthorizedError('Your session has ended: log in again');
  }
  if (!res.ok) {
    throw new Error(`No ticket (${res.status})`);
  }
  return (await res.json()).ticket;
}

function connect(mode) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat`;
  session.client = new WsAuthClient({
    url,
    credential: mode === 'protocol' ? { kind: 'protocol', getToken: async () => session.token } : { kind: 'ticket', getTicket: fetchTicket },
    refreshToken: login,
    onMessage: receive,
    onStateChange: showState,
  });
  session.client.connect();
}

function receive({ event, data }) {
  if (event === 'said') {
    addMessage(data.from, data.text, data.room);
  } else if (event === 'joined') {
    addRoom(data.room);
    addNotice(`Joined ${data.room}`);
  } else if (event === 'auth') {
    addNotice(`Token refreshed; it now expires in ${data.expires_in} s`);
  } else if (event === 'exception') {
    addNotice(`Refused: ${data.message}`);
  }
}

function showState(state, detail) {
  const line = $('#state');
  line.dataset.state = state;
  line.dataset.code = detail.code ?? '';
  line.textContent = `${state}${detail.code ? ` (${detail.code})` : ''}: ${detail.reason}`;
  if (state === 'open') {
    // Rejoin the rooms after a reconnection: membership lives with the socket.
    for (const option of $('#say select').options) {
      session.client.send('join', { room: option.value });
    }
  }
  if (state === 'closed' && detail.code !== 1000) {
    backToLogin(detail.reason);
  }
}

function backToLogin(reason) {
  session.client = null;
  session.token = '';
  $('#chat').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = reason ?? '';
}

$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  session.username = String(form.get('username'));
  session.password = String(form.get('password'));
  $('#login-error').textContent = '';
  try {
    await login();
  } catch (error) {
    $('#login-error').textContent = error.message;
    return;
  }
  $('#me').textContent = session.username;
  $('#login').hidden = true;
  $('#chat').hidden = false;
  connect(String(form.get('mode')));
});

$('#join').addEventListener('submit', (event) => {
  event.preventDefault();
  session.client?.send('join', { room: new FormData(event.target).get('room') });
});

$('#say').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  session.client?.send('say', { room: form.get('room'), text: form.get('text') });
  event.target.elements.text.value = '';
});

$('#logout').addEventListener('click', async () => {
  // The server closes this socket (and every other of this login) with 4403.
  await fetch('/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` } });
});
