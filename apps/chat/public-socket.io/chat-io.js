// The chat page over Socket.IO (WS_TRANSPORT=socket.io): log in, open the
// /chat namespace with a fresh ticket in the CONNECT packet's `auth` payload
// (never in a URL), chat through acknowledgements, refresh the token in band
// on `auth_expiring`, and show why the server ended the socket.
import { $, addMessage, addNotice, addRoom } from '/chat-view.js';

const session = { username: '', password: '', token: '', socket: null };

/** POST /auth/login; the demo keeps the password in memory to log in again when the token nears expiry. */
async function login() {
  const res = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: session.username, password: session.password }),
  });
  if (!res.ok) {
    throw new Error(res.status === 401 ? 'Wrong username or password' : `Login failed (${res.status})`);
  }
  session.token = (await res.json()).access_token;
  return session.token;
}

async function fetchTicket() {
  const res = await fetch('/auth/ticket', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` } });
  if (!res.ok) {
    throw new Error(`No ticket (${res.status})`);
  }
  return (await res.json()).ticket;
}

function connect() {
  // `auth` as a function: every (re)connection gets a fresh single-use ticket.
  // WebSocket first: a ticket is bound to the page's Origin, which a browser
  // sends on a WebSocket handshake but not on a same-origin polling GET.
  const socket = io('/chat', {
    transports: ['websocket', 'polling'],
    auth: (send) => fetchTicket().then((ticket) => send({ ticket }), () => send({})),
    reconnection: false,
  });
  session.socket = socket;
  let closedBecause;
  socket.on('connect', async () => {
    showState('open', 'connected');
    for (const option of $('#say select').options) {
      await socket.emitWithAck('join', { room: option.value });
    }
  });
  socket.on('connect_error', (error) => backToLogin(`Refused: ${error.message}`));
  socket.on('said', (data) => addMessage(data.from, data.text, data.room));
  socket.on('auth_expiring', async () => {
    const answer = await socket.emitWithAck('auth', { token: await login() });
    addNotice(answer.error ? `Refresh failed: ${answer.error}` : `Token refreshed; it now expires in ${answer.expires_in} s`);
  });
  socket.on('auth_closed', (data) => (closedBecause = data));
  socket.on('disconnect', (reason) => {
    showState('closed', closedBecause ? closedBecause.reason : reason, closedBecause?.code);
    backToLogin(closedBecause ? closedBecause.reason : reason);
  });
}

function showState(state, reason, code) {
  const line = $('#state');
  line.dataset.state = state;
  line.dataset.code = code ?? '';
  line.textContent = `${state}${code ? ` (${code})` : ''}: ${reason}`;
}

function backToLogin(reason) {
  session.socket = null;
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
  connect();
});

$('#join').addEventListener('submit', async (event) => {
  event.preventDefault();
  const answer = await session.socket?.emitWithAck('join', { room: new FormData(event.target).get('room') });
  if (answer?.room) {
    addRoom(answer.room);
    addNotice(`Joined ${answer.room}`);
  }
});

$('#say').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  event.target.elements.text.value = '';
  const answer = await session.socket?.emitWithAck('say', { room: form.get('room'), text: form.get('text') });
  if (answer?.error) {
    addNotice(`Refused: ${answer.error}`);
  }
});

$('#logout').addEventListener('click', async () => {
  // The server ends this socket (and every other of this login): auth_closed 4403.
  await fetch('/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` } });
});
