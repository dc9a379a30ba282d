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

/**
 * Resolves with `promise`, or fails naming `what` once `timeoutMs` have passed without it. The
 * bound only stops a test that would otherwise hang; where it also separates two behaviours (a
 * stream ended at once vs. at a 60 s periodic check), keep it far from both.
 */
export function within<T>(promise: Promise<T>, { timeoutMs = 10_000, what }: { timeoutMs?: number; what: string }): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_ok, fail) => (timer = setTimeout(() => fail(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
