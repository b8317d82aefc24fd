import { Router } from 'express';
import { eventsDocument } from './events-doc.js';
import { openApiDocument } from './openapi.js';
import { docsPage } from './docs-page.js';
import type { RouteDoc } from './route-docs.js';

/** Mounted at /api: the published contract, built once from the routes' own tables. */
export const contractRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/openapi.json', summary: 'This document: the OpenAPI 3.1 description of every REST route.', auth: 'none', response: { status: 200, description: 'OpenAPI 3.1 JSON' } },
  { method: 'get', path: '/events.json', summary: 'The socket events (AsyncAPI 3.0-shaped).', auth: 'none', response: { status: 200, description: 'AsyncAPI JSON' } },
  { method: 'get', path: '/docs', summary: 'A readable reference page of the REST routes and socket events (no external assets).', auth: 'none', response: { status: 200, description: 'HTML' } },
];

/** The contract's own version: raise it when a route or event changes incompatibly. */
const CONTRACT_VERSION = '1.0.0';

export function contractRoutes(docs: RouteDoc[], version = CONTRACT_VERSION): Router {
  const openapi = openApiDocument(docs, { version });
  const events = eventsDocument({ version });
  const page = docsPage(openapi, events);
  const r = Router();
  r.get('/openapi.json', (_req, res) => void res.json(openapi));
  r.get('/events.json', (_req, res) => void res.json(events));
  r.get('/docs', (_req, res) => void res.type('html').send(page));
  return r;
}
