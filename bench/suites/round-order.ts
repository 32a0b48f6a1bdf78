/**
 * The scenarios of one round, in alternating order (A B C, then C B A, ...):
 * a drift of the machine during a round, or an effect of going after
 * another scenario, then falls on each side of a comparison alike.
 */
export function roundOrder<T>(scenarios: readonly T[], round: number): readonly T[] {
  return round % 2 === 0 ? scenarios : [...scenarios].reverse();
}
