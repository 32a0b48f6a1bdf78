// Issue 4: "every authenticated socket is closed within 1 s after its token's
// exp; the mechanism must stay cheap at 100k sockets; measure it." Compares
// the library's DeadlineWheel with the obvious alternative, one setTimeout per
// socket, in the same process and run. Run: npm run bench:expiry
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DeadlineWheel } from '../libs/ws-auth/src/sessions/deadline-wheel.js';

const SOCKETS = Number(process.env.EXPIRY_SOCKETS ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;

interface Deadlines {
  schedule(item: object, at: number): void;
  cancel(item: object): void;
}

/** The alternative: a timer per socket. */
function timerPerSocket(onDue: (item: object) => void): Deadlines {
  const timers = new Map<object, NodeJS.Timeout>();
  return {
    schedule(item, at) {
      clearTimeout(timers.get(item));
      timers.set(item, setTimeout(() => (timers.delete(item), onDue(item)), Math.max(0, at - Date.now())));
    },
    cancel(item) {
      clearTimeout(timers.get(item));
      timers.delete(item);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function measure(name: string, make: (onDue: (item: object) => void) => Deadlines) {
  const items = Array.from({ length: SOCKETS }, () => ({}));
  const fired = new Map<object, number>();
  const due = new Map<object, number>();
  const deadlines = make((item) => fired.set(item, Date.now()));

  // 1. Scheduling: every socket, deadlines spread over 15 minutes.
  const before = heap();
  let start = performance.now();
  for (const item of items) {
    deadlines.schedule(item, Date.now() + 60_000 + Math.random() * 840_000);
  }
  const scheduleUs = ((performance.now() - start) * 1000) / SOCKETS;
  const bytesPerSocket = (heap() - before) / SOCKETS;

  // 2. Idle cost: CPU over two seconds with all of them waiting.
  const cpu = process.cpuUsage();
  await sleep(2000);
  const idle = process.cpuUsage(cpu);
  const idleCpuMsPerSec = (idle.user + idle.system) / 1000 / 2;

  // 3. A refresh moves every deadline (in-band auth), then all are cancelled (sockets closed).
  start = performance.now();
  for (const item of items) {
    deadlines.schedule(item, Date.now() + 120_000 + Math.random() * 840_000);
  }
  const rescheduleUs = ((performance.now() - start) * 1000) / SOCKETS;
  start = performance.now();
  for (const item of items) {
    deadlines.cancel(item);
  }
  const cancelUs = ((performance.now() - start) * 1000) / SOCKETS;

  // 4. Firing: all expire within one second; how late does each fire?
  const now = Date.now();
  for (const item of items) {
    const at = now + 500 + Math.random() * 1000;
    due.set(item, at);
    deadlines.schedule(item, at);
  }
  await sleep(3000);
  const lateness = items.map((item) => (fired.get(item) ?? Infinity) - due.get(item)!).sort((a, b) => a - b);
  const result = {
    name,
    sockets: SOCKETS,
    schedule_us: round(scheduleUs),
    reschedule_us: round(rescheduleUs),
    cancel_us: round(cancelUs),
    bytes_per_socket: Math.round(bytesPerSocket),
    idle_cpu_ms_per_s: round(idleCpuMsPerSec),
    fired: fired.size,
    early: lateness.filter((ms) => ms < 0).length,
    lateness_p50_ms: round(lateness[Math.floor(SOCKETS / 2)]),
    lateness_max_ms: round(lateness[SOCKETS - 1]),
  };
  console.log(JSON.stringify(result));
  return result;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

const wheel = await measure('DeadlineWheel (ws-auth)', (onDue) => new DeadlineWheel<object>(onDue));
const timers = await measure('setTimeout per socket', timerPerSocket);
const results = {
  measured: new Date().toISOString(),
  node: process.version,
  wheel,
  timers,
  expiry_bytes_per_socket_ratio: round(wheel.bytes_per_socket / timers.bytes_per_socket),
  expiry_schedule_cost_ratio: round(wheel.schedule_us / timers.schedule_us),
  expiry_lateness_max_ms: wheel.lateness_max_ms,
};
writeFileSync(new URL('../../../bench/results-expiry.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));
