// What both chat pages (plain WebSocket and Socket.IO) draw: rooms, messages
// and notices. Text goes in as textContent only: messages are never HTML.

export const $ = (selector) => document.querySelector(selector);

export function addRoom(room) {
  const select = $('#say select');
  if (![...select.options].some((option) => option.value === room)) {
    select.add(new Option(room, room, true, true));
  }
}

export function addMessage(from, text, room) {
  const item = document.createElement('li');
  const who = Object.assign(document.createElement('span'), { className: 'from', textContent: `${from}: ` });
  const where = Object.assign(document.createElement('span'), { className: 'room', textContent: ` #${room}` });
  item.append(who, document.createTextNode(text), where);
  $('#messages').append(item);
  item.scrollIntoView({ block: 'end' });
}

export function addNotice(text) {
  $('#messages').append(Object.assign(document.createElement('li'), { className: 'notice', textContent: text }));
}
