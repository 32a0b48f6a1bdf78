import { WsException } from '@nestjs/websockets';

const MAX_ROOM_LENGTH = 64;
const MAX_TEXT_LENGTH = 4096;

/** The `room` of a join or say, refused with an exception frame when it is not a short string. */
export function roomOf(data: unknown): string {
  const room = (data as { room?: unknown } | null)?.room;
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_LENGTH) {
    throw new WsException({ status: 'error', message: `room must be a string of 1 to ${MAX_ROOM_LENGTH} characters` });
  }
  return room;
}

export function textOf(data: unknown): string {
  const text = (data as { text?: unknown } | null)?.text;
  if (typeof text !== 'string' || text.length > MAX_TEXT_LENGTH) {
    throw new WsException({ status: 'error', message: `text must be a string of at most ${MAX_TEXT_LENGTH} characters` });
  }
  return text;
}
