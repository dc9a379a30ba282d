// What a value must be to reach a program: execve() passes NUL-terminated strings, so a value with
// a NUL (U+0000) can never be placed in an environment. Zod-free: `krypt run` checks on its start-up path.

/** "the value of KEY contains a NUL character, ..." — names the key, never the value. */
export function nulValueMessage(keys: readonly string[]): string {
  const [first] = keys;
  return keys.length === 1
    ? `the value of ${first} contains a NUL character, which no program can receive in its environment`
    : `the values of ${keys.join(', ')} contain a NUL character, which no program can receive in its environment`;
}

/** Keys whose value holds a NUL character, sorted. */
export function keysWithNul(values: Record<string, string>): string[] {
  return Object.keys(values).filter((key) => values[key]!.includes('\0')).sort();
}
