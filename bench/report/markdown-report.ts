import type { Figures } from '../suites/figures.js';
import { HANDSHAKE_SCENARIOS } from '../suites/handshake-scenarios.js';
import { SOCKET_IO_HANDSHAKE_SCENARIOS, SOCKET_IO_MESSAGE_SCENARIOS } from '../suites/socket-io-suite.js';
import type { BenchReport } from './bench-report.js';
import { scaleOutReport } from './scale-out-report.js';
import { judge, TARGETS } from './targets.js';

/** The tables of BENCHMARKS.md, from one report. */
export function markdownReport(report: BenchReport): string {
  const f = report.figures;
  const m = report.machine;
  const out: string[] = [];
  out.push(
    `Measured ${report.generatedAt.slice(0, 10)} (${report.mode} run) on ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; ` +
      `load average (1, 5, 15 min) ${report.loadAverage.before.join(', ')} at the start and ${report.loadAverage.after.join(', ')} at the end ` +
      `(other work shares the cores).`,
    '',
  );

  out.push('### Targets', '', '| target | figure | measured | threshold | verdict |', '| --- | --- | --- | --- | --- |');
  for (const target of TARGETS) {
    const verdict = judge(target, f);
    const why = verdict === 'not measured' ? ` (${report.notMeasured[target.figure] ?? 'no figure'})` : '';
    out.push(`| ${target.description} | \`${target.figure}\` | ${show(f[target.figure])} | ${target.threshold} | ${verdict}${why} |`);
  }

  out.push('', '### Handshakes', '');
  out.push(
    'Closed loop, one load-generator process per scenario, each socket dropped once open; rounds in alternating order. ' +
      'Ratio: rate over the Nest baseline of the same round, median over rounds. Server CPU: CPU time per handshake (user + system; ' +
      'on loopback the system part carries the client side of TCP too). ELU: server event-loop utilisation (near 1: the server was the bottleneck).',
    '',
  );
  out.push(
    '| scenario | handshakes/s | p50 ms | p99 ms | server CPU µs (user) | server ELU | ratio vs baseline | CPU cost vs baseline (user) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const scenario of HANDSHAKE_SCENARIOS) {
    const s = scenario.name;
    if (scenario.pending) {
      out.push(`| ${scenario.label} | not measured: ${scenario.pending} | | | | | | |`);
      continue;
    }
    out.push(
      `| ${scenario.label} | ${show(f[`handshake_rate_${s}`])} | ${show(f[`handshake_p50_ms_${s}`])} | ${show(f[`handshake_p99_ms_${s}`])} | ` +
        `${show(f[`handshake_server_cpu_us_${s}`])} (${show(f[`handshake_server_user_cpu_us_${s}`])}) | ${show(f[`handshake_server_elu_${s}`])} | ` +
        `${show(f[`handshake_ratio_${s}`] ?? (s === 'nest' ? 1 : null))} | ` +
        `${show(f[`handshake_cpu_cost_ratio_${s}`] ?? (s === 'nest' ? 1 : null))} (${show(f[`handshake_user_cpu_cost_ratio_${s}`] ?? (s === 'nest' ? 1 : null))}) |`,
    );
  }
  out.push(
    '',
    `Against the floor (Nest \`WsAdapter\` with one \`JwtService.verify()\` in \`verifyClient\`, the same run): ` +
      `header ${show(f.handshake_ratio_header_vs_floor_jwt)} (rate), ${show(f.handshake_cpu_cost_ratio_header_vs_floor_jwt)} (CPU); ` +
      `subprotocol ${show(f.handshake_ratio_protocol_vs_floor_jwt)} (rate), ${show(f.handshake_cpu_cost_ratio_protocol_vs_floor_jwt)} (CPU).`,
  );

  out.push('', '#### What a handshake costs the machine', '');
  out.push(
    'CPU per handshake of every process a scenario runs, medians over rounds: the server, its load generator, and redis-server where the server uses Redis. ' +
      'With every core busy, a rate ratio tends to the inverse of the machine ratio, whichever process is the server. ' +
      'Redis commands per read: how many commands redis-server found in one socket read (above 1, the client batched them).',
    '',
  );
  out.push(
    '| scenario | server µs | load generator µs | redis-server µs | machine µs | machine vs baseline | Redis commands per read |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const scenario of HANDSHAKE_SCENARIOS) {
    const s = scenario.name;
    if (scenario.pending || f[`handshake_machine_cpu_us_${s}`] === undefined) {
      continue;
    }
    out.push(
      `| ${scenario.label} | ${show(f[`handshake_server_cpu_us_${s}`])} | ${show(f[`handshake_client_cpu_us_${s}`])} | ${show(f[`handshake_redis_cpu_us_${s}`])} | ` +
        `${show(f[`handshake_machine_cpu_us_${s}`])} | ${show(f[`handshake_machine_cpu_cost_ratio_${s}`] ?? (s === 'nest' ? 1 : null))} | ` +
        `${show(f[`handshake_redis_commands_per_read_${s}`])} |`,
    );
  }

  out.push('', '### Messages', '');
  out.push('Echo frames through one `@SubscribeMessage` handler, a window of frames in flight per socket; rounds in alternating order, medians.', '');
  out.push('| server | messages/s | server CPU µs | server ELU |', '| --- | --- | --- | --- |');
  for (const [name, label] of [
    ['bare', 'bare `ws` server'],
    ['unguarded', 'Nest `WsAdapter`, unguarded handler'],
    ['open_ws_auth', 'ws-auth app, unguarded gateway (baseline)'],
    ['guarded', 'ws-auth app, `@WsAuth()`'],
    ['allow_all_guard', 'ws-auth app, `@UseGuards(AllowAllGuard)` (returns `true`; control)'],
  ]) {
    out.push(`| ${label} | ${show(f[`message_rate_${name}`])} | ${show(f[`message_server_cpu_us_${name}`])} | ${show(f[`message_server_elu_${name}`])} |`);
  }
  out.push(
    '',
    `Guarded vs the same handler unguarded in the same app and process (the baseline): ${show(f.message_ratio_guarded)} (rate), ` +
      `${show(f.message_cpu_cost_ratio_guarded)} (CPU per message). Guarded vs the handler on Nest's \`WsAdapter\` (another process): ` +
      `${show(f.message_ratio_guarded_vs_nest_ws_adapter)} (rate), ${show(f.message_cpu_cost_ratio_guarded_vs_nest_ws_adapter)} (CPU per message).`,
    '',
    `Any guard, vs the same baseline (\`AllowAllGuard\`): ${show(f.message_ratio_allow_all_guard)} (rate), ` +
      `${show(f.message_cpu_cost_ratio_allow_all_guard)} (CPU per message). \`WsAuthGuard\` vs \`AllowAllGuard\`: ` +
      `${show(f.message_ratio_guarded_vs_allow_all_guard)} (rate), ${show(f.message_cpu_cost_ratio_guarded_vs_allow_all_guard)} (CPU per message).`,
  );

  out.push('', '### Memory per idle socket', '');
  out.push('Server `heapUsed` after full GCs with N idle sockets, minus before, over N; each authenticated socket is its own user and session.', '');
  out.push('| sockets | unauthenticated B/socket | authenticated B/socket | overhead B/socket |', '| --- | --- | --- | --- |');
  for (const name of Object.keys(f).filter((key) => /^bytes_per_socket_overhead_\d+$/.test(key))) {
    const count = name.split('_').pop()!;
    out.push(
      `| ${Number(count).toLocaleString('en')} | ${show(f[`heap_bytes_per_socket_unauthenticated_${count}`])} | ` +
        `${show(f[`heap_bytes_per_socket_authenticated_${count}`])} | ${show(f[name])} |`,
    );
  }

  out.push('', '### Handshakes beside live sockets', '');
  out.push(
    'Per kind, two identical servers, one holding few idle sockets and one many; handshakes against all four in alternating rounds. ' +
      'ws-auth holds authenticated sockets and takes header handshakes; Nest `WsAdapter` holds and takes unauthenticated ones.',
    '',
  );
  out.push('| server | live sockets | handshakes/s | p99 ms | server CPU µs | minor GC µs |', '| --- | --- | --- | --- | --- | --- |');
  const liveLabels = Object.keys(f).filter((key) => key.startsWith('handshake_rate_live_')).map((key) => key.slice('handshake_rate_live_'.length));
  for (const label of liveLabels) {
    const [count, kind] = label.endsWith('_nest') ? [label.slice(0, -'_nest'.length), 'Nest `WsAdapter`'] : [label, 'ws-auth'];
    out.push(
      `| ${kind} | ${count} | ${show(f[`handshake_rate_live_${label}`])} | ${show(f[`handshake_p99_ms_live_${label}`])} | ` +
        `${show(f[`handshake_server_cpu_us_live_${label}`])} | ${show(f[`handshake_gc_minor_us_live_${label}`])} |`,
    );
  }
  for (const costRatio of Object.keys(f).filter((key) => key.startsWith('handshake_cost_ratio_'))) {
    const rateRatio = costRatio.replace('handshake_cost_ratio_', 'handshake_rate_ratio_');
    out.push('', `\`${costRatio}\` (server CPU per handshake, many over few): ${show(f[costRatio])}; \`${rateRatio}\`: ${show(f[rateRatio])}.`);
  }
  const growth = Object.keys(f).find((key) => key.startsWith('handshake_cost_growth_over_nest_'));
  if (growth) {
    out.push('', `\`${growth}\` (ws-auth's cost ratio over Nest's, per round): ${show(f[growth])}.`);
  }

  out.push('', '### Socket.IO', '');
  out.push(
    'Engine.IO on the WebSocket transport, a handshake from the upgrade to the namespace `connect`; load processes speak the protocol over a bare `ws` socket. ' +
      'Rounds in alternating order, ratios within a round, medians. Handshakes against Nest\'s `IoAdapter` without auth; messages (an `echo` event answered by one) ' +
      'against the same handler on a public namespace of the same ws-auth app.',
    '',
  );
  out.push(
    '| handshake | handshakes/s | p99 ms | server CPU µs | load generator µs | server ELU | ratio vs baseline | CPU cost vs baseline |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const scenario of SOCKET_IO_HANDSHAKE_SCENARIOS) {
    const s = scenario.name;
    out.push(
      `| ${scenario.label} | ${show(f[`socket_io_handshake_rate_${s}`])} | ${show(f[`socket_io_handshake_p99_ms_${s}`])} | ` +
        `${show(f[`socket_io_handshake_server_cpu_us_${s}`])} | ${show(f[`socket_io_handshake_client_cpu_us_${s}`])} | ${show(f[`socket_io_handshake_server_elu_${s}`])} | ` +
        `${show(f[`socket_io_handshake_ratio_${s}`] ?? (s === 'plain' ? 1 : null))} | ${show(f[`socket_io_handshake_cpu_cost_ratio_${s}`] ?? (s === 'plain' ? 1 : null))} |`,
    );
  }
  out.push('', '| messages | messages/s | server CPU µs | server ELU |', '| --- | --- | --- | --- |');
  for (const scenario of SOCKET_IO_MESSAGE_SCENARIOS) {
    const s = scenario.name;
    out.push(
      `| ${scenario.label} | ${show(f[`socket_io_message_rate_${s}`])} | ${show(f[`socket_io_message_server_cpu_us_${s}`])} | ${show(f[`socket_io_message_server_elu_${s}`])} |`,
    );
  }
  out.push(
    '',
    `Guarded vs the same handler on the public namespace of the same app: ${show(f.socket_io_message_ratio_guarded)} (rate), ` +
      `${show(f.socket_io_message_cpu_cost_ratio_guarded)} (CPU per message). Guarded vs the handler on Nest's \`IoAdapter\` (another process): ` +
      `${show(f.socket_io_message_ratio_guarded_vs_nest_io_adapter)} (rate), ${show(f.socket_io_message_cpu_cost_ratio_guarded_vs_nest_io_adapter)} (CPU per message).`,
  );

  out.push('', '### Revocation fan-out through Redis', '');
  out.push(`\`revokeSession()\` on instance A to the client seeing 4403 from instance B: p50 ${show(f.revocation_p50_ms)} ms, p99 ${show(f.revocation_p99_ms)} ms, max ${show(f.revocation_max_ms)} ms.`);
  out.push(...scaleOutReport(f, show));
  return out.join('\n') + '\n';
}

function show(value: Figures[string] | undefined): string {
  if (value === null || value === undefined) {
    return '–';
  }
  return Number.isInteger(value) && Math.abs(value) >= 1000 ? value.toLocaleString('en') : String(value);
}
