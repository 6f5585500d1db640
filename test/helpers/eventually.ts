/**
 * Polls `read` until `ok` holds of what it returns, or `timeoutMs` has passed, and returns
 * the last value read either way: the caller's assertion on it then says what was missing.
 * For state another process or a background loop brings about (a follower, a replica, a
 * copy catching up).
 */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
