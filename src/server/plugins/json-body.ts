import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../services/service-error.js';

// JSON is the only body type (anything else is 415), and it is UTF-8: bytes that do not decode are
// refused rather than replaced with U+FFFD, which would store something the client never sent.

// fatal: throw on invalid bytes. ignoreBOM: keep a BOM in the text, as Buffer#toString did, so the
// JSON parser treats it as before.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Replaces Fastify's body parsers with the API's one: strict UTF-8 JSON; an empty body is no body. */
export function registerJsonBody(app: FastifyInstance): void {
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    // An empty body with a JSON content type (common on DELETE) means "no body", not a parse error.
    if (bytes.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return done(new ServiceError('validation', 'request body is not valid UTF-8'), undefined);
    }
    return defaultJson(req, text, done);
  });
}
