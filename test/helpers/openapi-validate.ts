import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// Checks responses against the OpenAPI 3.0 document that declares them: the status must be one the
// operation declares, the media type one its response declares (none: no body), and a JSON body must
// match the declared schema (ajv; OpenAPI 3.0's `nullable` is ajv's own keyword, and its boolean
// exclusiveMinimum/exclusiveMaximum are turned into JSON Schema's numeric form first).

type Json = Record<string, unknown>;

interface MediaType {
  schema?: Json;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface OperationObject {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}
export interface OpenApi3Document {
  paths: Record<string, Record<string, OperationObject>>;
  components?: Json;
}

/** What was checked: the operation, the status, and what is wrong (empty: the response agrees with the document). */
export interface ResponseCheck {
  operationId: string;
  status: number;
  problems: string[];
}

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** OpenAPI 3.0 `minimum: n, exclusiveMinimum: true` is JSON Schema's `exclusiveMinimum: n` (same for maximum). */
function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonSchema(v);
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] === true) out[flag] = out[bound];
    else delete out[flag];
    if (out[flag] !== undefined) delete out[bound];
  }
  return out;
}

/** A JSON pointer segment, URI-escaped for use in a $ref. */
const pointer = (...segments: string[]): string => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

const DOC_ID = 'krypt-openapi.json';

/**
 * A checker of responses against `doc`. `schemaPath` is the document's path template
 * (`/v1/projects/{slug}`), `method` lower or upper case, `text` the raw body.
 */
export function responseChecker(doc: OpenApi3Document): (method: string, schemaPath: string, status: number, contentType: string | null, text: string) => ResponseCheck {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema(toJsonSchema(doc) as Json, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();
  const validator = (ref: string): ValidateFunction => {
    let v = compiled.get(ref);
    if (!v) compiled.set(ref, (v = ajv.compile({ $ref: ref })));
    return v;
  };

  return (method, schemaPath, status, contentType, text) => {
    const m = method.toLowerCase();
    const op = doc.paths[schemaPath]?.[m];
    if (!op) return { operationId: `${method} ${schemaPath}`, status, problems: [`the document has no operation ${method} ${schemaPath}`] };
    const operationId = op.operationId ?? `${method} ${schemaPath}`;
    const declared = op.responses?.[String(status)];
    if (!declared) {
      return { operationId, status, problems: [`status ${status} is not declared for ${operationId} (declared: ${Object.keys(op.responses ?? {}).join(', ')}); body: ${text.slice(0, 300)}`] };
    }
    const problems: string[] = [];
    const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const types = Object.keys(declared.content ?? {});
    if (types.length === 0) {
      if (text !== '') problems.push(`${operationId} ${status} declares no body but got ${text.length} bytes`);
      return { operationId, status, problems };
    }
    if (!types.includes(media)) {
      problems.push(`${operationId} ${status}: content type ${contentType ?? '(none)'} is not among ${types.join(', ')}`);
      return { operationId, status, problems };
    }
    if (media !== 'application/json') return { operationId, status, problems };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      problems.push(`${operationId} ${status}: body is not JSON: ${text.slice(0, 200)}`);
      return { operationId, status, problems };
    }
    const validate = validator(`${DOC_ID}#/${pointer('paths', schemaPath, m, 'responses', String(status), 'content', media, 'schema')}`);
    if (!validate(body)) {
      for (const e of validate.errors ?? []) problems.push(`${operationId} ${status}: ${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    }
    return { operationId, status, problems };
  };
}
