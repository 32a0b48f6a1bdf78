/**
 * Sockets by key (a login session, a subject), for revocations that must
 * reach every socket of one key. Most keys have a single socket: it is
 * stored as it is, and a Set is made only when a second socket shares the
 * key. A Set per key cost about 150 bytes of heap per idle socket (`npm run bench`).
 */
export class SocketIndex<TSocket extends object> {
  private readonly entries = new Map<string, TSocket | Set<TSocket>>();

  add(key: string, socket: TSocket): void {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.entries.set(key, socket);
    } else if (entry instanceof Set) {
      entry.add(socket);
    } else if (entry !== socket) {
      this.entries.set(key, new Set([entry, socket]));
    }
  }

  delete(key: string, socket: TSocket): void {
    const entry = this.entries.get(key);
    if (entry === socket) {
      this.entries.delete(key);
    } else if (entry instanceof Set && entry.delete(socket)) {
      if (entry.size === 1) {
        this.entries.set(key, entry.values().next().value as TSocket);
      }
    }
  }

  /** The sockets of a key, as a copy: closing one while iterating unindexes it. */
  get(key: string): TSocket[] {
    return copy(this.entries.get(key));
  }

  /** Every key's sockets, each as a copy. */
  *groups(): IterableIterator<TSocket[]> {
    for (const entry of [...this.entries.values()]) {
      yield copy(entry);
    }
  }

  /** The number of (key, socket) pairs. */
  get size(): number {
    let count = 0;
    for (const entry of this.entries.values()) {
      count += entry instanceof Set ? entry.size : 1;
    }
    return count;
  }
}

function copy<TSocket extends object>(entry: TSocket | Set<TSocket> | undefined): TSocket[] {
  return entry === undefined ? [] : entry instanceof Set ? [...entry] : [entry];
}
