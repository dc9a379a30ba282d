// An incremental Server-Sent Events parser (the WHATWG "event stream interpretation"), fed text
// chunks as they arrive: a line, or an event, may be split anywhere between two chunks.

/** One dispatched event. `event` defaults to "message"; multi-line data is joined with "\n". */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export interface SseParser {
  /** Parses a chunk, calling `onEvent` for every event it completes. */
  push(chunk: string): void;
}

/** Creates a parser; comments (`: ping`) and `retry:` fields are accepted and ignored. */
export function createSseParser(onEvent: (event: SseEvent) => void): SseParser {
  let buffer = '';
  let skipLeadingLf = false;
  let eventName = '';
  let data: string[] = [];
  let lastId: string | undefined;
  let first = true;

  const line = (text: string): void => {
    if (text === '') {
      if (data.length > 0) onEvent({ event: eventName || 'message', data: data.join('\n'), id: lastId });
      eventName = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') eventName = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastId = value;
  };

  return {
    push(chunk) {
      if (chunk === '') return;
      let text = chunk;
      if (first) {
        first = false;
        if (text.startsWith('\uFEFF')) text = text.slice(1);
      }
      // A CR ending the previous chunk may be the first half of a CRLF.
      if (skipLeadingLf && text.startsWith('\n')) text = text.slice(1);
      skipLeadingLf = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== '\n' && c !== '\r') continue;
        line(buffer.slice(start, i));
        if (c === '\r') {
          if (i + 1 === buffer.length) skipLeadingLf = true;
          else if (buffer[i + 1] === '\n') i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}
