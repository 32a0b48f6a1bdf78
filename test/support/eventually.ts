/**
 * Retries `probe` until it resolves without throwing, every `intervalMs`,
 * for at most `timeoutMs`; then rethrows its last failure. For states that
 * arrive by themselves (a client reconnecting), never to assert speed.
 */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() >= deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
