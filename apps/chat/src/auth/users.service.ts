import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** The demo users of CONTRACT.md. A real app keeps password hashes in a database. */
const DEMO_USERS: Record<string, string> = {
  maggie: 'secret',
  bart: 'eatmyshorts',
};

@Injectable()
export class UsersService {
  /** The user's name when the password matches, compared in constant time. */
  check(username: string, password: string): string | null {
    const expected = Object.hasOwn(DEMO_USERS, username) ? DEMO_USERS[username] : undefined;
    // Hashing first gives both sides one length, so timingSafeEqual never throws
    // and an unknown user costs the same as a wrong password.
    const matches = timingSafeEqual(digest(password), digest(expected ?? ''));
    return expected !== undefined && matches ? username : null;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
