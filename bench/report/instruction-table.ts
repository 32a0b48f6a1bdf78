import type { MachineInfo } from '../support/machine.js';

/** The figures of `bench/results-instructions.json` that the lead table reads (ratios against the baseline of the same run). */
export type InstructionFigures = Readonly<Record<string, number | undefined>>;

/** A target of issue 16, judged against one figure of an instruction run. */
interface InstructionTarget {
  readonly figure: string;
  readonly threshold: string;
  readonly met: (value: number) => boolean;
}

/** One line of the table: a scenario's count and ratio, and its target when it has one. */
interface TableLine {
  readonly label: string;
  readonly instructions: string;
  readonly ratio: string;
  readonly target?: InstructionTarget;
}

const TARGETS = {
  header: { figure: 'ratio_header', threshold: '<= 1.20', met: (v) => v <= 1.2 },
  headerSeen: { figure: 'ratio_header_seen', threshold: '<= 1.08', met: (v) => v <= 1.08 },
  own: { figure: 'own_instructions_header', threshold: '<= 20,000', met: (v) => v <= 20_000 },
  // "Within 5 % of the header one": the source must not cost more than 5 % over the header's.
  // A ticket needs no signature check, so it may be cheaper; cheaper is within the target.
  protocol: { figure: 'ratio_protocol_vs_header', threshold: '<= 1.05 of header', met: (v) => v <= 1.05 },
  ticket: { figure: 'ratio_ticket_memory_vs_header', threshold: '<= 1.05 of header', met: (v) => v <= 1.05 },
} satisfies Record<string, InstructionTarget>;

const count = (value: number | undefined) => (value === undefined ? 'not counted' : Math.round(value).toLocaleString('en'));
const ratio = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(2));
/** Three digits where a target sits at a round figure: 1.051 must not read as the 1.05 it misses. */
const fine = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(3));

function verdict(target: InstructionTarget | undefined, figures: InstructionFigures): string {
  if (!target) {
    return '';
  }
  const value = figures[target.figure];
  if (value === undefined) {
    return 'not measured';
  }
  return target.met(value) ? 'met' : '**missed**';
}

/**
 * The ten-second table at the top of BENCHMARKS.md: what authentication
 * costs against no authentication, in instructions per handshake (the
 * median of the runs), each ratio against the baseline of the same run.
 */
export function instructionTable(figures: InstructionFigures, runs: number, machine: MachineInfo, date: string): string {
  const perHandshake = (name: string) => figures[`instructions_per_handshake_${name}`];
  const lines: TableLine[] = [
    { label: 'Nest `WsAdapter`, no auth (**the baseline**)', instructions: count(perHandshake('nest')), ratio: '1' },
    {
      label: 'the verifier floor: ws-auth\'s `JwtVerifier.verify()` alone in `verifyClient`',
      instructions: count(perHandshake('floor_verifier')),
      ratio: ratio(figures.instructions_ratio_floor_verifier),
    },
    {
      label: '**ws-auth, HS256 header, a fresh token each time**',
      instructions: count(perHandshake('header')),
      ratio: ratio(figures.ratio_header),
      target: TARGETS.header,
    },
    {
      label: 'ws-auth, HS256 header, a token it has verified before (reconnects)',
      instructions: count(perHandshake('header_seen')),
      ratio: ratio(figures.ratio_header_seen),
      target: TARGETS.headerSeen,
    },
    {
      label: 'ws-auth\'s own work per header handshake (header − verifier floor)',
      instructions: count(figures.own_instructions_header),
      ratio: '',
      target: TARGETS.own,
    },
    {
      label: 'ws-auth, HS256 in the subprotocols (browser form)',
      instructions: count(perHandshake('protocol')),
      ratio: `${ratio(figures.ratio_protocol)} (${fine(figures.ratio_protocol_vs_header)} of header)`,
      target: TARGETS.protocol,
    },
    {
      label: 'ws-auth, `?ticket=` from the memory ticket store',
      instructions: count(perHandshake('ticket_memory')),
      ratio: `${ratio(figures.ratio_ticket_memory)} (${fine(figures.ratio_ticket_memory_vs_header)} of header)`,
      target: TARGETS.ticket,
    },
    {
      label: 'ws-auth, an issuer\'s RS256 access token (JWKS cached)',
      instructions: count(perHandshake('issuer_rs256')),
      ratio: ratio(figures.ratio_issuer_rs256),
    },
    {
      label: 'ws-auth, an issuer\'s ES256 access token (JWKS cached)',
      instructions: count(perHandshake('issuer_es256')),
      ratio: ratio(figures.ratio_issuer_es256),
    },
    {
      label: 'for comparison: one `JwtService.verify()` (@nestjs/jwt) alone in `verifyClient`',
      instructions: count(perHandshake('floor_jwt')),
      ratio: ratio(figures.instructions_ratio_floor_jwt),
    },
  ];
  return [
    `Instructions the server executes per WebSocket handshake, counted by callgrind (\`npm run bench:instructions\`), ` +
      `median of ${runs} runs; each ratio is against the baseline of the same run. ` +
      `Measured ${date} on ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}.`,
    '',
    '| scenario | instructions per handshake | vs no auth | target | verdict |',
    '| --- | --- | --- | --- | --- |',
    ...lines.map((line) => `| ${line.label} | ${line.instructions} | ${line.ratio} | ${line.target?.threshold ?? ''} | ${verdict(line.target, figures)} |`),
    '',
  ].join('\n');
}

/** The scenarios of the breakdown table, in the lead table's order. */
const BREAKDOWN_SCENARIOS: ReadonlyArray<readonly [name: string, label: string]> = [
  ['nest', 'baseline'],
  ['floor_verifier', 'verifier floor'],
  ['header', 'header'],
  ['header_seen', 'header, seen'],
  ['protocol', 'subprotocol'],
  ['ticket_memory', 'memory ticket'],
];

const thousands = (value: number | undefined) => (value === undefined ? '–' : `${(value / 1000).toFixed(1)}k`);

/**
 * Where each scenario's instructions go, by kind of work
 * (`callgrindBreakdown`), the median of each kind over the runs: what a
 * ratio is made of, and what a cut could still reach.
 */
export function breakdownTable(byKind: Readonly<Record<string, Readonly<Record<string, number | undefined>>>>): string {
  const scenarios = BREAKDOWN_SCENARIOS.filter(([name]) => byKind[name] !== undefined);
  if (scenarios.length === 0) {
    return '';
  }
  const kinds = [...new Set(scenarios.flatMap(([name]) => Object.keys(byKind[name])))];
  // Largest first, by the header scenario's count (or the first one counted).
  const lead = byKind.header ?? byKind[scenarios[0][0]];
  kinds.sort((a, b) => (lead[b] ?? 0) - (lead[a] ?? 0));
  return [
    'Where the instructions go, per handshake, by kind of work (each frame\'s own count; JavaScript named through V8\'s code map, `--perf-basic-prof`), the median of each kind over the runs:',
    '',
    `| kind of work | ${scenarios.map(([, label]) => label).join(' | ')} |`,
    `| --- | ${scenarios.map(() => '---').join(' | ')} |`,
    ...kinds.map((kind) => `| ${kind} | ${scenarios.map(([name]) => thousands(byKind[name][kind])).join(' | ')} |`),
    '',
  ].join('\n');
}
