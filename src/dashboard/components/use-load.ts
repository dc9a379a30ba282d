import { useCallback, useEffect, useState } from 'preact/hooks';

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; value: T };

/**
 * Loads `fn()` when `inputs` change, and again on `reload()`. An answer arriving after the inputs
 * changed (or the page left) is dropped, so a slow answer never overwrites a newer one; and the
 * render with new inputs, before their load has even started, is 'loading', never the answer for
 * the old inputs (an audit page numbered 2 must not show page 1's rows).
 */
export function useLoad<T>(fn: () => Promise<T>, inputs: readonly unknown[]): [Loaded<T>, () => Promise<void>] {
  const load = useCallback(fn, inputs);
  // Each answer remembers the loader (that is, the inputs) it came from.
  const [loaded, setLoaded] = useState<{ for?: () => Promise<T>; loaded: Loaded<T> }>({ loaded: { state: 'loading' } });
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setLoaded({ for: load, loaded: { state: 'ready', value } }),
      (error: unknown) => live && setLoaded({ for: load, loaded: { state: 'error', error } }),
    );
    return () => {
      live = false;
    };
  }, [load]);
  const reload = useCallback(async () => {
    try {
      setLoaded({ for: load, loaded: { state: 'ready', value: await load() } });
    } catch (error) {
      setLoaded({ for: load, loaded: { state: 'error', error } });
    }
  }, [load]);
  return [loaded.for === load ? loaded.loaded : { state: 'loading' }, reload];
}
