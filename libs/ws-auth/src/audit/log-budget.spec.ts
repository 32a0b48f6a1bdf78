import { describe, expect, it } from '@jest/globals';
import { LogBudget } from './log-budget.js';
import { quoteForLog } from './log-text.js';

describe('LogBudget', () => {
  it('allows its lines per second, counts the rest, and reports the count with the first line of a later second', () => {
    const budget = new LogBudget(2);
    expect([budget.take(1000), budget.take(1100), budget.take(1200), budget.take(1900)]).toEqual([
      { allowed: true, dropped: 0 },
      { allowed: true, dropped: 0 },
      { allowed: false, dropped: 0 },
      { allowed: false, dropped: 0 },
    ]);
    expect(budget.take(2000)).toEqual({ allowed: true, dropped: 2 });
    expect(budget.take(2001)).toEqual({ allowed: true, dropped: 0 });
  });
});

describe('quoteForLog', () => {
  it('quotes, escapes everything outside printable ASCII, and cuts long values saying how long they were', () => {
    expect(quoteForLog('https://app.example')).toBe('"https://app.example"');
    expect(quoteForLog('a"b\u2028c\r\nd\u00e9')).toBe('"a\\"b\\u2028c\\r\\nd\\u00e9"');
    expect(quoteForLog('x'.repeat(5000))).toBe(`"${'x'.repeat(100)}"...(5000 chars)`);
  });
});
