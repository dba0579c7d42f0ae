/**
 * Waits until `check()` holds (it may be async), polling every `intervalMs`; rejects naming `what` after
 * `timeoutMs`. For conditions another thread or process brings about (a worker, a child process, the
 * kernel, a device on the far end of a PTY), where there is no event to await. The timeout is a hang
 * guard, not a measurement: keep it generous.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
