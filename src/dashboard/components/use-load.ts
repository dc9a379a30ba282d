import { useCallback, useEffect, useState } from 'preact/hooks';

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; value: T };

/**
 * Loads `fn()` when `inputs` change, and again on `reload()`. An answer arriving after the inputs
 * changed (or the page left) is dropped, so a slow answer never overwrites a newer one.
 */
export function useLoad<T>(fn: () => Promise<T>, inputs: readonly unknown[]): [Loaded<T>, () => Promise<void>] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const load = useCallback(fn, inputs);
  useEffect(() => {
    let live = true;
    setLoaded({ state: 'loading' });
    load().then(
      (value) => live && setLoaded({ state: 'ready', value }),
      (error: unknown) => live && setLoaded({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [load]);
  const reload = useCallback(async () => {
    try {
      setLoaded({ state: 'ready', value: await load() });
    } catch (error) {
      setLoaded({ state: 'error', error });
    }
  }, [load]);
  return [loaded, reload];
}
