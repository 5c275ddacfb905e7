/**
 * Settles like `promise`, or rejects once `ms` passed, naming `what`. For object-store reads: the
 * client reads an object through a subscription with no timeout of its own, which waits forever
 * when a NATS node goes away at the wrong moment (seen in the scale-out test); the abandoned read
 * is left to the garbage collector.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
