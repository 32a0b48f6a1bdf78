import { jest } from '@jest/globals';
import { DeadlineWheel } from './deadline-wheel.js';

describe('DeadlineWheel', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('fires an item after its deadline, within one resolution', () => {
    const due: string[] = [];
    const wheel = new DeadlineWheel<string>((item) => due.push(item), 250);
    wheel.schedule('a', Date.now() + 1000);
    jest.advanceTimersByTime(999);
    expect(due).toEqual([]);
    jest.advanceTimersByTime(251);
    expect(due).toEqual(['a']);
    expect(wheel.size).toBe(0);
  });

  it('fires after the deadline and within two resolutions, whatever the offsets', () => {
    const fired = new Map<number, number>();
    const wheel = new DeadlineWheel<number>((deadline) => fired.set(deadline, Date.now()), 250);
    jest.advanceTimersByTime(130); // the interval will start off the slot boundaries
    const deadlines = [1, 249, 250, 251, 777, 1001].map((offset) => Date.now() + offset);
    deadlines.forEach((deadline) => wheel.schedule(deadline, deadline));
    jest.advanceTimersByTime(2000);
    for (const deadline of deadlines) {
      expect(fired.get(deadline)).toBeGreaterThanOrEqual(deadline);
      expect(fired.get(deadline)! - deadline).toBeLessThan(500);
    }
  });

  it('fires an item scheduled in the past at the next tick', () => {
    const due: string[] = [];
    const wheel = new DeadlineWheel<string>((item) => due.push(item), 250);
    wheel.schedule('late', Date.now() - 5000);
    jest.advanceTimersByTime(250);
    expect(due).toEqual(['late']);
  });

  it('does not fire a cancelled item, and reschedules on a second schedule', () => {
    const due: string[] = [];
    const wheel = new DeadlineWheel<string>((item) => due.push(item), 250);
    wheel.schedule('cancelled', Date.now() + 500);
    wheel.schedule('moved', Date.now() + 500);
    wheel.cancel('cancelled');
    wheel.schedule('moved', Date.now() + 3000);
    jest.advanceTimersByTime(2000);
    expect(due).toEqual([]);
    jest.advanceTimersByTime(1250);
    expect(due).toEqual(['moved']);
  });

  it('runs no timer while empty, and resumes after an idle period', () => {
    const due: string[] = [];
    const wheel = new DeadlineWheel<string>((item) => due.push(item), 250);
    wheel.schedule('x', Date.now() + 100);
    jest.advanceTimersByTime(300);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(60_000);
    wheel.schedule('y', Date.now() + 100);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(300);
    expect(due).toEqual(['x', 'y']);
  });

  it('keeps its timer from one socket to the next, and stops at the first tick that finds it empty', () => {
    const wheel = new DeadlineWheel<string>(() => undefined, 250);
    const arm = jest.spyOn(globalThis, 'setInterval');
    for (let i = 0; i < 100; i++) {
      wheel.schedule(`socket-${i}`, Date.now() + 60_000);
      wheel.cancel(`socket-${i}`);
    }
    expect(arm).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(250);
    expect(jest.getTimerCount()).toBe(0);
    arm.mockRestore();
  });

  it('handles many items in one slot and across slots', () => {
    let count = 0;
    const wheel = new DeadlineWheel<number>(() => count++, 250);
    for (let i = 0; i < 10_000; i++) {
      wheel.schedule(i, Date.now() + (i % 40) * 100);
    }
    jest.advanceTimersByTime(2000);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(10_000);
    jest.advanceTimersByTime(2500);
    expect(count).toBe(10_000);
  });

  it('fires an item that onDue schedules again, even for a deadline already passed', () => {
    const fired: number[] = [];
    const wheel: DeadlineWheel<string> = new DeadlineWheel<string>((item) => {
      fired.push(Date.now());
      if (fired.length === 1) {
        wheel.schedule(item, Date.now() - 1);
      }
    }, 250);
    wheel.schedule('again', Date.now() + 100);
    jest.advanceTimersByTime(300);
    expect(fired).toHaveLength(1);
    jest.advanceTimersByTime(250);
    expect(fired).toHaveLength(2);
    expect(wheel.size).toBe(0);
  });
});
