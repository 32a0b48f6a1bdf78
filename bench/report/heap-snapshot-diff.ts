import { readFileSync } from 'node:fs';

/**
 * Compares two V8 heap snapshots (from `npm run bench -- --heap-snapshot`):
 * the self size and count of objects by constructor in each, and the
 * difference per socket. Which objects an authenticated socket adds.
 *
 *   node dist/bench/bench/report/heap-snapshot-diff.js base.heapsnapshot other.heapsnapshot SOCKETS [by-size]
 *
 * `by-size` also splits each kind by object size (a 2-entry Set's table and
 * a 10k-entry Map's are both "array").
 */
interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function byConstructor(file: string, bySize: boolean): Map<string, { count: number; size: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const totals = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += stride) {
    const type = types[snapshot.nodes[i + typeAt]];
    // Strings by their kind, not their text; objects by constructor; code and the rest by type.
    const kind = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${snapshot.strings[snapshot.nodes[i + nameAt]]}` : type;
    const size = snapshot.nodes[i + sizeAt];
    const name = bySize ? `${kind} (${size > 4096 ? '> 4 KiB' : `${size} B`})` : kind;
    const entry = totals.get(name) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snapshot.nodes[i + sizeAt];
    totals.set(name, entry);
  }
  return totals;
}

const [baseFile, otherFile, socketsArg, mode] = process.argv.slice(2);
const sockets = Number(socketsArg);
const base = byConstructor(baseFile, mode === 'by-size');
const other = byConstructor(otherFile, mode === 'by-size');
const names = new Set([...base.keys(), ...other.keys()]);
const rows = [...names].map((name) => {
  const a = base.get(name) ?? { count: 0, size: 0 };
  const b = other.get(name) ?? { count: 0, size: 0 };
  return { name, count: (b.count - a.count) / sockets, bytes: (b.size - a.size) / sockets };
});
rows.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes));
const total = rows.reduce((sum, row) => sum + row.bytes, 0);
console.log(`difference per socket: ${total.toFixed(0)} B\n\n   B/socket  objects/socket  constructor`);
for (const row of rows.slice(0, 40)) {
  console.log(`${row.bytes.toFixed(1).padStart(11)}  ${row.count.toFixed(2).padStart(14)}  ${row.name}`);
}
