/** Progress on stderr, so stdout stays the table alone. */
export function benchLog(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
