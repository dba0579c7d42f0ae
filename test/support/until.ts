/**
 * Waits until `check()` holds, polling every 5 ms; rejects naming `what` after `timeoutMs`. For
 * conditions another thread or process brings about (a worker, a child process, the kernel), where
 * there is no event to await. The timeout is a hang guard, not a measurement: keep it generous.
 */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
