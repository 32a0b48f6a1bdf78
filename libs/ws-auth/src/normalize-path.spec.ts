import { normalizePath } from './normalize-path.js';

describe('normalizePath', () => {
  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/', '/'],
    ['chat', '/chat'],
    ['/chat', '/chat'],
    ['/chat/', '/chat'],
    ['//chat//room///', '/chat/room'],
  ])('%j is %j', (path, normalized) => {
    expect(normalizePath(path)).toBe(normalized);
  });
});
