/** Wall-clock time of the named phases of a slow test, printed at its end so a slowdown is seen where it happens. */
export class PhaseTimes {
  private readonly phases: Array<{ subject: string; phase: string; ms: number }> = [];

  async time<T>(subject: string, phase: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.phases.push({ subject, phase, ms: performance.now() - started });
    }
  }

  /** One line per phase: `subject  phase  12.3 s`. */
  report(): string {
    const width = Math.max(0, ...this.phases.map(({ subject, phase }) => `${subject}  ${phase}`.length));
    return this.phases
      .map(({ subject, phase, ms }) => `${`${subject}  ${phase}`.padEnd(width)}  ${(ms / 1000).toFixed(1).padStart(5)} s`)
      .join('\n');
  }
}
