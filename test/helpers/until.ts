/**
 * Resolves once `check()` holds, polling every 15 ms. `timeoutMs` is only an upper bound (default
 * 10 s): past it the test fails naming `what`, it never passes because time ran out.
 */
export async function until(check: () => boolean | Promise<boolean>, { timeoutMs = 10_000, what }: { timeoutMs?: number; what: string }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}
