/**
 * Calls `onDue` with items whose deadline has passed, one timer for all of
 * them. A timer per socket would cost a heap insertion and ~100 bytes each;
 * here scheduling and cancelling are O(1) map operations and each tick looks
 * at one slot, so the cost stays flat at 100k sockets. An item fires after its deadline
 * and less than two `resolutionMs` (plus event-loop lag) later: the interval
 * is not aligned to slot boundaries.
 */
export class DeadlineWheel<T> {
  private readonly slots = new Map<number, Set<T>>();
  private readonly slotOf = new Map<T, number>();
  /** The next slot a tick will look at: every earlier one has fired. */
  private cursor: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly onDue: (item: T) => void,
    private readonly resolutionMs = 250,
  ) {
    this.cursor = Math.floor(Date.now() / resolutionMs);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** (Re)schedules an item at an epoch-milliseconds deadline. */
  schedule(item: T, at: number): void {
    this.cancel(item);
    if (!this.timer) {
      // Nothing ticked while the wheel was empty: the cursor starts from now.
      this.cursor = Math.floor(Date.now() / this.resolutionMs);
    }
    // The first slot that starts at or after the deadline, never one already passed.
    const slot = Math.max(Math.ceil(at / this.resolutionMs), this.cursor);
    let items = this.slots.get(slot);
    if (!items) {
      items = new Set();
      this.slots.set(slot, items);
    }
    items.add(item);
    this.slotOf.set(item, slot);
    this.start();
  }

  cancel(item: T): void {
    const slot = this.slotOf.get(item);
    if (slot === undefined) {
      return;
    }
    this.slotOf.delete(item);
    const items = this.slots.get(slot);
    items?.delete(item);
    if (items?.size === 0) {
      this.slots.delete(slot);
    }
    // The timer is not stopped here but at the next tick that finds the wheel
    // empty: a server whose sockets come and go one at a time would otherwise
    // arm and clear an interval for every socket.
  }

  /** Stops the timer and forgets every item. */
  clear(): void {
    this.slots.clear();
    this.slotOf.clear();
    this.stop();
  }

  private tick(): void {
    const now = Math.floor(Date.now() / this.resolutionMs);
    while (this.cursor <= now) {
      // The cursor moves on before the items fire: one that `onDue` schedules
      // again lands in a later slot, never in this one, which is done.
      const slot = this.cursor++;
      const items = this.slots.get(slot);
      if (!items) {
        continue;
      }
      this.slots.delete(slot);
      for (const item of items) {
        this.slotOf.delete(item);
        this.onDue(item);
      }
    }
    if (this.slotOf.size === 0) {
      this.stop();
    }
  }

  private start(): void {
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.resolutionMs);
      this.timer.unref(); // deadlines never keep the process alive
    }
  }

  private stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
