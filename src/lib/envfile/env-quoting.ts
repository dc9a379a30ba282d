// How `krypt pull --format env` quotes a value so that every common .env reader reads it back
// unchanged. The rules below were found by experiment (dotenv 18.0.10's `parse`; python-dotenv
// 0.21.0, Debian's python3-dotenv, and 1.2.2, whose parsers are the same, through
// `dotenv_values()` with its default interpolate=True) and, for dotenvx, from its parser
// (src/lib/helpers/parse.js as of 1.75: dotenv's LINE regex, then expansion). A value is v; the
// file line is KEY=<quoted v>. NUL and CR are refused before these rules apply.
//
// npm dotenv (no dotenv-expand): no escapes at all, except \n and \r inside double quotes.
//   'v'   literal; cannot hold ' and v must not end in \ (the regex reads \' as a non-closing quote)
//   "v"   \n -> LF, \r -> CR, nothing else; cannot hold "; must not end in \
//   `v`   literal; cannot hold `; must not end in \
//   v     trimmed (JS whitespace, U+FEFF too), cut at #, ends at a line break; a leading quote
//         is tried as a quoted value first (which can run on across lines), and a leading " also
//         expands \n and \r; dotenv then unquotes with a multiline regex, in which U+2028/U+2029
//         break lines, so a "line" of v wrapped in one kind of quote loses them
// python-dotenv:
//   ${NAME} and ${NAME:-default} (regex \$\{[^}:]*(?::-[^}]*)?\}) are expanded in EVERY value,
//   single-quoted ones included (checked on both versions), after unescaping: a value holding one
//   cannot be written for python-dotenv at all. $NAME without braces is left alone.
//   'v'   \\ -> \ and \' -> ', nothing else; a final \ escapes the closing quote and the line is
//         dropped as unparsable
//   "v"   \\ \' \" \a \b \f \n \r \t \v are escapes (so \t becomes a TAB); any other \ is literal
//   `v`   not a quote: the backticks are part of the value
//   v     everything to the end of the line, cut at whitespace followed by #, then right-stripped
//         (Python whitespace: also U+001C-U+001F and U+0085, but not U+FEFF); leading
//         whitespace is skipped; a leading ' or " starts a quoted value
// dotenvx: reads like npm dotenv, then, for every value not in single quotes: \t -> TAB in double
//   quotes, $(...) runs a command, ${...} and $NAME are expanded, and \$ becomes $. Single quotes
//   are literal.
//
// So, with no ${...} anywhere: single quotes when v has no ', no \\ and no final \; else double
// quotes when v has no ", no \ before \ ' " a b f n r t v $ or at its end, and no $ that dotenvx
// expands (\$, or $ before a letter, _, { or (); else unquoted when v is one line with no #, no
// whitespace at either end (JS's or Python's), no leading ' or " (nor a leading ` that could open
// a quote) and no $ that dotenvx expands. Backticks never work: python-dotenv keeps them. Anything
// else is refused, naming the reader that cannot read it.

type EnvReader = 'npm dotenv' | 'python-dotenv' | 'dotenvx';
const ENV_READERS: readonly EnvReader[] = ['npm dotenv', 'python-dotenv', 'dotenvx'];

type Quoting = 'single' | 'double' | 'backtick' | 'unquoted';
// In order of preference; backticks come last and are only ever used to tell readers apart.
const QUOTINGS: readonly Quoting[] = ['single', 'double', 'unquoted', 'backtick'];

const PYTHON_INTERPOLATION = /\$\{[^}:]*(?::-[^}]*)?\}/;
const DOTENVX_EXPANSION = /\\\$|\$[{(A-Za-z_]/;
const QUOTE_CHARS = `'"\``;
// dotenv's own unquoting (applied to every value, after trimming), which `m` makes line-wise.
const DOTENV_UNQUOTE = /^(['"`])[\s\S]*\1$/m;
const JS_EDGE_SPACE = /^\s|\s$/;
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_EDGE_SPACE = new RegExp(`^[${PY_SPACE}]|[${PY_SPACE}]$`);
const PY_COMMENT = new RegExp(`[${PY_SPACE}]#`);

// A bare value starting with a quote is first tried as a quoted one, which may run on to later
// lines: that must fail. It can end at each later quote followed by nothing but whitespace up to
// the end or a U+2028/U+2029, and runs past a quote only when a \ precedes it. dotenv also
// expands \n and \r in any value that starts with ", quoted or not.
function leadingQuoteStops(v: string): boolean {
  const quote = v.charAt(0);
  if (!QUOTE_CHARS.includes(quote)) return true;
  if (quote === '"' && /\\[nr]/.test(v)) return false;
  for (let i = 1; i < v.length; i++) {
    if (v[i] !== quote) continue;
    if (/^\s*(?:[\u2028\u2029]|$)/.test(v.slice(i + 1))) return false;
    if (v[i - 1] !== '\\') return true;
  }
  return false;
}

function npmDotenvReads(quoting: Quoting, v: string): boolean {
  switch (quoting) {
    case 'single':
      return !v.includes("'") && !v.endsWith('\\');
    case 'double':
      return !v.includes('"') && !/\\[nr]/.test(v) && !v.endsWith('\\');
    case 'backtick':
      return !v.includes('`') && !v.endsWith('\\');
    case 'unquoted':
      return v !== '' && !JS_EDGE_SPACE.test(v) && !/[#\n\r]/.test(v) && leadingQuoteStops(v) && !DOTENV_UNQUOTE.test(v);
  }
}

function pythonDotenvReads(quoting: Quoting, v: string): boolean {
  if (PYTHON_INTERPOLATION.test(v)) return false;
  switch (quoting) {
    case 'single':
      return !v.includes("'") && !v.includes('\\\\') && !v.endsWith('\\');
    case 'double':
      return !v.includes('"') && !/\\([\\'"abfnrtv]|$)/.test(v);
    case 'backtick':
      return false;
    case 'unquoted':
      return v !== '' && !PY_EDGE_SPACE.test(v) && !/[\n\r]/.test(v) && !PY_COMMENT.test(v) && !`'"`.includes(v.charAt(0));
  }
}

function dotenvxReads(quoting: Quoting, v: string): boolean {
  if (!npmDotenvReads(quoting, v)) return false;
  if (quoting === 'single') return true;
  return !DOTENVX_EXPANSION.test(v) && !(quoting === 'double' && v.includes('\\t'));
}

const READS: Record<EnvReader, (quoting: Quoting, v: string) => boolean> = {
  'npm dotenv': npmDotenvReads,
  'python-dotenv': pythonDotenvReads,
  dotenvx: dotenvxReads,
};

function commonQuoting(readers: readonly EnvReader[], v: string): Quoting | undefined {
  return QUOTINGS.find((quoting) => readers.every((reader) => READS[reader](quoting, v)));
}

// What in the value limits its quoting, for the refusal: kinds of characters, never the characters.
function limits(v: string): string {
  // Decisive on its own: nothing else matters once python-dotenv expands the value.
  if (PYTHON_INTERPOLATION.test(v)) return 'a ${...} reference, which python-dotenv expands even in single quotes';
  const found: string[] = [];
  if (v.includes("'")) found.push('a single quote');
  if (v.includes('"')) found.push('a double quote');
  if (v.includes('`')) found.push('a backtick');
  if (DOTENVX_EXPANSION.test(v)) found.push('a $ that dotenvx expands outside single quotes');
  if (v.includes('\\')) found.push('a backslash that some readers take as an escape');
  if (/[\n\u2028\u2029]/.test(v)) found.push('a line break');
  if (v.includes('#')) found.push('a #');
  if (JS_EDGE_SPACE.test(v) || PY_EDGE_SPACE.test(v)) found.push('whitespace at either end');
  return found.length <= 1 ? found.join('') : `${found.slice(0, -1).join(', ')} and ${found.at(-1)}`;
}

/** The .env text for `value` that npm dotenv, python-dotenv and dotenvx all read as `value`, or why none exists (naming a reader, never quoting the value). */
export function quoteEnvValue(value: string): { text: string } | { problem: string } {
  switch (commonQuoting(ENV_READERS, value)) {
    case 'single':
      return { text: `'${value}'` };
    case 'double':
      return { text: `"${value}"` };
    case 'unquoted':
      return { text: value };
    default:
      break; // backticks alone never satisfy python-dotenv
  }
  const why = limits(value);
  const alone = ENV_READERS.find((reader) => commonQuoting([reader], value) === undefined);
  if (alone !== undefined) return { problem: `${alone} cannot read it back unchanged however it is quoted (it contains ${why})` };
  // Each reader has a quoting of its own, and dotenvx reads a quoting only where npm dotenv does:
  // those two share one, which python-dotenv reads differently.
  return { problem: `python-dotenv would read it differently from npm dotenv and dotenvx however it is quoted (it contains ${why})` };
}
