/** Named figures of a run, `null` for one that could not be measured. */
export type Figures = Record<string, number | null>;

/** Per-run raw data, kept beside the figures for whoever doubts a median. */
export type RunRecords = Record<string, unknown>;

export interface SuiteResult {
  readonly figures: Figures;
  readonly runs: RunRecords;
  /** Figures left `null`, and why. */
  readonly notMeasured?: Record<string, string>;
}
