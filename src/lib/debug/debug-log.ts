// `KRYPT_DEBUG=1`: one `krypt[debug] ...` line on stderr per event. Callers hold a DebugLog or
// undefined and call it as `debug?.(\`...\`)`: when debugging is off the optional call short-circuits,
// so the message is never built (no allocation on the hot path beyond that nullish check).
//
// What may be written: names of things (config dir, sources, project/environment, key counts),
// HTTP method + URL path + status + duration, program names and argument counts. Never a token,
// header, body, query value, secret value or a child's argv.

/** Receives one debug message (no trailing newline); undefined when debugging is off. */
export type DebugLog = (message: string) => void;

/** True for the values of KRYPT_DEBUG that turn debugging on (anything but unset, "", "0", "false"). */
export function isDebugEnabled(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** A DebugLog writing `krypt[debug] MESSAGE` lines to `stream`. */
export function createDebugLog(stream: { write(text: string): unknown }): DebugLog {
  return (message) => {
    stream.write(`krypt[debug] ${message}\n`);
  };
}

/** Milliseconds since `start` (a performance.now() reading), to one decimal. */
export function elapsedMs(start: number): string {
  return `${(performance.now() - start).toFixed(1)} ms`;
}

/** The path of a URL without its query string or fragment (query values may be filters a user typed). */
export function describeUrl(url: URL): string {
  return url.search === '' ? url.pathname : `${url.pathname}?${[...url.searchParams.keys()].join('&')}`;
}

/** Scheme, host and port of an API URL (never userinfo, path or query); "(invalid)" when unparsable. */
export function describeOrigin(raw: string | undefined): string {
  if (raw === undefined) return '(none)';
  try {
    return new URL(raw).origin;
  } catch {
    return '(invalid)';
  }
}

/** The config line of KRYPT_DEBUG: where the config lives and where the API URL and token came from (never the token). */
export function describeSettings(
  dir: string,
  settings: { apiUrl: string | undefined; apiUrlSource: string | undefined; tokenSource: string | undefined },
): string {
  return `config dir ${dir}; API URL ${describeOrigin(settings.apiUrl)} from ${settings.apiUrlSource ?? 'nowhere'}; token from ${settings.tokenSource ?? 'nowhere'}`;
}
