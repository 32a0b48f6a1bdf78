// Prints one plain closing line, "tests: N passed, N failed, N skipped", that
// CI systems read without knowing jest's own summary format.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    // stderr, after jest's own summary, so it is the last line of the run.
    process.stderr.write(`tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`);
  }
}
