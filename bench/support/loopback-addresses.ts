/**
 * Source addresses for client sockets. Every handshake that closes leaves a
 * TIME_WAIT entry behind for 60 s; from one source address to one server port
 * only ~28k ephemeral ports exist (32768-60999), which a few runs of the
 * handshake benchmark would use up. All of 127.0.0.0/8 is loopback on Linux,
 * so spreading the clients over 127.0.0.1..N multiplies the port space.
 */
export const LOOPBACK_SOURCES = Array.from({ length: 32 }, (_, i) => `127.0.0.${i + 1}`);

/** The source address of the n-th client socket. */
export function sourceAddress(n: number): string {
  return LOOPBACK_SOURCES[n % LOOPBACK_SOURCES.length];
}
