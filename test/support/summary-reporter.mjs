// Prints one plain closing line, "tests: N passed, N failed, N skipped", that
// CI systems read without knowing jest's own summary format.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    const line = `tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`;
    // Jest prints its own summary after every reporter's onRunComplete: at
    // exit, this comes after it, as the run's last line (stderr writes to a
    // pipe or file are synchronous on Linux).
    process.once('exit', () => process.stderr.write(line));
  }
}
