/**
 * Sockets a server holds, counted where the app sees them (`handleConnection`
 * and `handleDisconnect`, or the bare server's `connection`), so that a
 * measurement can check it counts what it thinks it counts.
 */
export const liveSockets = {
  count: 0,
  /** Every socket ever opened: divides a CPU profile into per-handshake costs. */
  total: 0,
  opened(): void {
    this.count++;
    this.total++;
  },
  closed(): void {
    this.count--;
  },
};
