/**
 * Free TCP ports on 127.0.0.1.
 *
 * @module
 */

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago
 * (all are held open together while they are chosen, so they differ).
 */
export function freePorts(count: number): number[] {
  const listeners: Deno.TcpListener[] = [];
  try {
    for (let i = 0; i < count; i++) {
      listeners.push(Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" }));
    }
    return listeners.map((l) => l.addr.port);
  } finally {
    for (const l of listeners) l.close();
  }
}

/**
 * Whether something accepts TCP connections on 127.0.0.1:`port`. A connection
 * whose local port is `port` itself is Linux's TCP self-connect (the kernel
 * picked the probed port, free and in the ephemeral range, as the source port):
 * nothing listens there, so it does not count.
 */
export async function portAnswers(port: number, timeoutMs = 1_000): Promise<boolean> {
  const timer = AbortSignal.timeout(timeoutMs);
  try {
    const conn = await Promise.race([
      Deno.connect({ hostname: "127.0.0.1", port }),
      new Promise<never>((_, reject) => {
        timer.addEventListener("abort", () => reject(new Error("timeout")), { once: true });
      }),
    ]);
    const self = (conn.localAddr as Deno.NetAddr).port === port;
    conn.close();
    return !self;
  } catch {
    return false;
  }
}
