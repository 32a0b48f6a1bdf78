/**
 * How many pending (unauthenticated) sockets are open, in total and per
 * client address: one client holding every pending slot would leave none for
 * anyone else, so each address gets a share of its own.
 */
export class PendingSockets {
  private readonly byAddress = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
  ) {}

  /** Whether one more pending socket from `address` fits under both caps. */
  fits(address: string): boolean {
    return this.total < this.maxTotal && (this.byAddress.get(address) ?? 0) < this.maxPerAddress;
  }

  add(address: string): void {
    this.total++;
    this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + 1);
  }

  remove(address: string): void {
    const count = this.byAddress.get(address);
    if (count === undefined) {
      return;
    }
    this.total--;
    if (count > 1) {
      this.byAddress.set(address, count - 1);
    } else {
      this.byAddress.delete(address);
    }
  }
}
