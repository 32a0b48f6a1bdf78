import type { MachineInfo } from '../support/machine.js';
import type { Figures, RunRecords } from '../suites/figures.js';

/** Everything one `npm run bench` produced. */
export interface BenchReport {
  readonly generatedAt: string;
  readonly mode: 'full' | 'quick' | 'partial';
  readonly machine: MachineInfo;
  /** The machine's 1-, 5- and 15-minute load averages when the run started and when it ended: other work shares the cores. */
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly figures: Figures;
  readonly notMeasured: Record<string, string>;
  readonly runs: RunRecords;
}

/** The figures of issue 8 first, in its order; the rest as the suites produced them. */
const HEADLINE = [
  'handshake_ratio_header',
  'handshake_ratio_protocol',
  'handshake_ratio_ticket_memory',
  'handshake_ratio_ticket_redis',
  'handshake_ratio_issuer_rs256',
  'message_ratio_guarded',
  'socket_io_handshake_ratio_auth',
  'socket_io_message_ratio_guarded',
  'bytes_per_socket_overhead',
  'handshake_cost_ratio_10k_vs_100',
  'revocation_p50_ms',
  'revocation_p99_ms',
];

/**
 * results.json: the run's context, then one named figure per line (ratios
 * against the baseline of the same run, then the raw rates and costs), then
 * what was not measured and why.
 */
export function resultsJson(report: BenchReport): string {
  const ordered: Figures = {};
  for (const name of HEADLINE) {
    if (name in report.figures) {
      ordered[name] = report.figures[name];
    }
  }
  Object.assign(ordered, report.figures);
  const lines = Object.entries(ordered).map(([name, value]) => `  ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
  const head = [
    `  "generated_at": ${JSON.stringify(report.generatedAt)}`,
    `  "mode": ${JSON.stringify(report.mode)}`,
    `  "machine": ${JSON.stringify(report.machine)}`,
    `  "load_average": ${JSON.stringify(report.loadAverage)}`,
  ];
  const tail = [`  "not_measured": ${JSON.stringify(report.notMeasured)}`];
  return `{\n${[...head, ...lines, ...tail].join(',\n')}\n}\n`;
}
