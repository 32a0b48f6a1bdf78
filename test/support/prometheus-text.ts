/** One sample of a Prometheus text exposition: its series (name and labels) and value. */
export interface PrometheusSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text format (version 0.0.4) a `/metrics` endpoint serves; comment lines are skipped. */
export function parsePrometheusText(text: string): PrometheusSample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = SAMPLE.exec(line.trim());
      if (!match) {
        throw new Error(`Not a sample line: ${line}`);
      }
      const labels: Record<string, string> = {};
      for (const [, name, value] of (match[2] ?? '').matchAll(LABEL)) {
        labels[name] = value.replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
      }
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/** The value of one series (0 when absent: a counter not yet incremented is not exposed). */
export function sampleValue(samples: readonly PrometheusSample[], name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  const found = samples.find(
    (sample) => sample.name === name && wanted.every(([key, value]) => sample.labels[key] === value) && Object.keys(sample.labels).length === wanted.length,
  );
  return found?.value ?? 0;
}
