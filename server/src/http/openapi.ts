import { z } from 'zod';
import { ERROR_STATUS } from '../../../shared/errors.js';
import type { RouteDoc } from './route-docs.js';

type Json = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 uses), on the input side: what a client sends. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  // Transforms (a path id parsed to a number) have no JSON Schema; their input side is what matters here.
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** `/conversations/:id/messages` → `/conversations/{id}/messages`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { $ref: '#/components/schemas/ErrorCode' },
        message: { type: 'string' },
        details: { description: 'Field-level problems for VALIDATION_FAILED; { price } for PRICE_CHANGED.' },
        retryAfterSeconds: { type: 'number' },
      },
    },
  },
};

function parameters(doc: RouteDoc): Json[] {
  const out: Json[] = [];
  for (const [name, schema] of Object.entries(doc.params ?? {})) out.push({ name, in: 'path', required: true, schema: jsonSchema(schema) });
  for (const [name, schema] of Object.entries(doc.headers ?? {})) out.push({ name, in: 'header', required: true, schema: jsonSchema(schema) });
  if (doc.query) {
    const q = jsonSchema(doc.query) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) out.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
  }
  return out;
}

function operation(doc: RouteDoc): Json {
  const op: Json = {
    summary: doc.summary,
    operationId: `${doc.method}${doc.path.replace(/[^\w]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    tags: [doc.tag ?? 'other'],
    'x-auth': doc.auth,
    security: doc.auth === 'none' ? [] : [{ bearer: doc.auth === 'admin' ? ['admin'] : [] }],
    responses: {
      [String(doc.response.status)]: {
        description: doc.response.description,
        ...(doc.response.schema ? { content: { 'application/json': { schema: jsonSchema(doc.response.schema, 'output') } } } : {}),
      },
      default: { description: 'An error: the code says which (see ErrorCode for each HTTP status).', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } } },
    },
  };
  const params = parameters(doc);
  if (params.length) op.parameters = params;
  if (doc.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(doc.body) } } };
  return op;
}

/** The OpenAPI 3.1 document of the given routes. */
export function openApiDocument(docs: RouteDoc[], info: { version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const doc of docs) (paths[openApiPath(doc.path)] ??= {})[doc.method] = operation(doc);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pairly API',
      version: info.version,
      description: 'REST routes of a Pairly node. Errors share one body: { error: { code, message } }; x-error-status maps each code to its HTTP status. Socket events: /api/events.json.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(docs.map((d) => d.tag ?? 'other'))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access token from /api/auth/login, /signup or /refresh.' } },
      schemas: {
        ErrorCode: { type: 'string', enum: Object.keys(ERROR_STATUS), 'x-error-status': ERROR_STATUS },
        ErrorBody: errorBody,
      },
    },
  };
}
