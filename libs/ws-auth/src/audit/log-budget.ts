/**
 * How many lines the default audit log writes per second: a client can cause
 * refusals as fast as it can send requests, and each must not cost a line.
 * Past the budget, lines are counted instead, and the count is written with
 * the first line of a later second.
 */
export class LogBudget {
  private windowStart = 0;
  private used = 0;
  private dropped = 0;

  constructor(private readonly linesPerSecond: number) {}

  /**
   * Whether a line may be written now, and how many were dropped since the
   * last one that was (to say so on that line).
   */
  take(now = Date.now()): { allowed: boolean; dropped: number } {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.linesPerSecond) {
      this.dropped++;
      return { allowed: false, dropped: 0 };
    }
    this.used++;
    const dropped = this.dropped;
    this.dropped = 0;
    return { allowed: true, dropped };
  }
}
