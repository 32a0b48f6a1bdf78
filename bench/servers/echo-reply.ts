/**
 * The work of the benchmark's message handler, shared by every server so
 * that guarded and unguarded differ only in what surrounds it.
 */
export function echoReply(data: unknown): { event: 'echo'; data: unknown } {
  return { event: 'echo', data };
}
