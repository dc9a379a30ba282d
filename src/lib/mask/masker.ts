// Masking works on latin1-decoded text: latin1 maps each byte to one UTF-16 unit and back, so a
// multi-byte UTF-8 value is matched as its byte sequence even when a chunk boundary splits one of
// its characters, and bytes that are not valid UTF-8 pass through untouched.

/** Turns a child's output into the same bytes with secret values replaced, chunk by chunk. */
export interface Masker {
  /** Returns the bytes that are already decided; may hold back the tail of `chunk` that could begin a value. */
  transform(chunk: Buffer): Buffer;
  /** Returns everything held back, masked. Call once at end of stream. */
  flush(): Buffer;
}

interface TrieNode {
  children: Map<number, TrieNode>;
  terminal: boolean;
}

const MIN_MASKED_CHARS = 4;

/**
 * The values worth masking: distinct, longer than 3 characters (code points). Shorter ones would
 * mask ordinary words and numbers and reveal more than they hide.
 */
export function maskableValues(values: readonly string[]): string[] {
  const kept = new Set<string>();
  for (const value of values) if ([...value].length >= MIN_MASKED_CHARS) kept.add(value);
  return [...kept];
}

/**
 * A masker replacing every occurrence of every maskable value with `replacement`. Where values
 * overlap, the leftmost occurrence wins and, at one position, the longest value (so a value that
 * contains another is masked whole). The result is the same for any split of the stream into
 * chunks; between chunks it holds back only a tail that is a proper prefix of some value (at most
 * longest value − 1 bytes).
 */
export function createMasker(values: readonly string[], replacement = '*****'): Masker {
  const latin1Values = maskableValues(values).map((v) => Buffer.from(v, 'utf8').toString('latin1'));
  if (latin1Values.length === 0) return { transform: (chunk) => chunk, flush: () => Buffer.alloc(0) };

  const root = buildTrie(latin1Values);
  const maxLength = Math.max(...latin1Values.map((v) => v.length));
  // One regex compiled once: a trie-shaped pattern dispatches on the first byte instead of trying
  // each of hundreds of alternatives at every position.
  const regex = new RegExp(trieToPattern(root), 'g');
  const mask = Buffer.from(replacement, 'utf8').toString('latin1');
  let pending = '';

  // First position >= from whose tail (to the end of text) is a proper prefix of some value: more
  // bytes could still turn it into a match, so it and everything after it must wait.
  const holdFrom = (text: string, from: number): number => {
    for (let q = Math.max(from, text.length - maxLength + 1); q < text.length; q++) {
      if (isProperPrefix(root, text, q)) return q;
    }
    return text.length;
  };

  return {
    transform(chunk: Buffer): Buffer {
      const text = pending + chunk.toString('latin1');
      // Matches starting here or later may depend on bytes not yet seen (a longer value may extend them).
      const undecidedFrom = text.length - maxLength + 1;
      const parts: string[] = [];
      let cursor = 0;
      let hold = -1;
      regex.lastIndex = 0;
      for (;;) {
        const match = regex.exec(text);
        if (match === null) break;
        if (match.index >= undecidedFrom) {
          hold = holdFrom(text, cursor);
          if (hold <= match.index) break;
        }
        parts.push(text.slice(cursor, match.index), mask);
        cursor = match.index + match[0].length;
      }
      if (hold < cursor) hold = holdFrom(text, cursor);
      parts.push(text.slice(cursor, hold));
      pending = text.slice(hold);
      return Buffer.from(parts.join(''), 'latin1');
    },
    flush(): Buffer {
      const text = pending;
      pending = '';
      regex.lastIndex = 0;
      return Buffer.from(text.replace(regex, () => mask), 'latin1');
    },
  };
}

function buildTrie(values: readonly string[]): TrieNode {
  const root: TrieNode = { children: new Map(), terminal: false };
  for (const value of values) {
    let node = root;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      let next = node.children.get(code);
      if (next === undefined) {
        next = { children: new Map(), terminal: false };
        node.children.set(code, next);
      }
      node = next;
    }
    node.terminal = true;
  }
  return root;
}

function isProperPrefix(root: TrieNode, text: string, from: number): boolean {
  let node: TrieNode | undefined = root;
  for (let i = from; i < text.length; i++) {
    node = node.children.get(text.charCodeAt(i));
    if (node === undefined) return false;
  }
  return node.children.size > 0;
}

// Children differ in their first byte, so at most one branch can match at a position; a greedy
// optional group tries the longer continuation before stopping at a shorter value (longest wins).
// Chains of single children are emitted in a loop, so recursion depth is the number of branch points.
function trieToPattern(node: TrieNode): string {
  const branches: string[] = [];
  for (const [code, child] of node.children) {
    let text = escapeByte(code);
    let current = child;
    while (!current.terminal && current.children.size === 1) {
      const [nextCode, next] = current.children.entries().next().value as [number, TrieNode];
      text += escapeByte(nextCode);
      current = next;
    }
    if (current.children.size > 0) {
      const rest = trieToPattern(current);
      text += current.terminal ? `(?:${rest})?` : rest;
    }
    branches.push(text);
  }
  return branches.length === 1 ? (branches[0] as string) : `(?:${branches.join('|')})`;
}

function escapeByte(code: number): string {
  const isWordChar = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  return isWordChar ? String.fromCharCode(code) : `\\x${code.toString(16).padStart(2, '0')}`;
}
