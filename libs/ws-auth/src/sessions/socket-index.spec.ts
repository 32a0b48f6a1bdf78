import { SocketIndex } from './socket-index.js';

describe('SocketIndex', () => {
  const a = { name: 'a' };
  const b = { name: 'b' };
  const c = { name: 'c' };

  it('keeps one socket per key as it is, and several in a set', () => {
    const index = new SocketIndex<object>();
    index.add('k', a);
    expect(index.get('k')).toEqual([a]);
    index.add('k', b);
    index.add('k', c);
    expect(index.get('k')).toEqual([a, b, c]);
    expect(index.size).toBe(3);
  });

  it('adds the same socket under one key once', () => {
    const index = new SocketIndex<object>();
    index.add('k', a);
    index.add('k', a);
    expect(index.size).toBe(1);
    index.add('k', b);
    index.add('k', b);
    expect(index.get('k')).toEqual([a, b]);
  });

  it('goes back to a single socket, then to nothing, as sockets leave', () => {
    const index = new SocketIndex<object>();
    index.add('k', a);
    index.add('k', b);
    index.delete('k', a);
    expect(index.get('k')).toEqual([b]);
    index.delete('k', a); // not there any more: nothing happens
    expect(index.get('k')).toEqual([b]);
    index.delete('k', b);
    expect(index.get('k')).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('leaves a key alone when asked to delete a socket it does not hold', () => {
    const index = new SocketIndex<object>();
    index.add('k', a);
    index.delete('k', b);
    index.delete('other', a);
    expect(index.get('k')).toEqual([a]);
  });

  it('hands out copies, so a socket can leave while its key is iterated', () => {
    const index = new SocketIndex<object>();
    index.add('k', a);
    index.add('k', b);
    index.add('j', c);
    for (const socket of index.get('k')) {
      index.delete('k', socket);
    }
    expect(index.get('k')).toEqual([]);
    const groups = [...index.groups()];
    expect(groups).toEqual([[c]]);
  });
});
