import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEventSchemas } from '../../shared/events.js';
import { http } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { mountedRoutes } from '../support/routes.js';

/**
 * The published contract: /api/openapi.json describes every route the node
 * mounts (generated from the routes' own tables), is a valid OpenAPI 3.1
 * document, /api/docs renders it with nothing fetched from elsewhere, and
 * /api/events.json lists every socket event.
 */
let backing: Backing;
let node: InProcessNode;
type OpenApi = { openapi: string; paths: Record<string, Record<string, unknown>> };
let doc: OpenApi;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess(backing.env);
  const res = await http<OpenApi>(node.url, 'GET', '/api/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

const documented = (d: OpenApi) => Object.entries(d.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));

describe('/api/openapi.json', () => {
  it('documents every mounted route with its method, and nothing that is not mounted', () => {
    const mounted = mountedRoutes(node.pairly.app);
    const inDoc = documented(doc);
    expect(mounted.filter((r) => !inDoc.includes(r)), 'mounted but missing from the document: add a RouteDoc next to the router').toEqual([]);
    expect(inDoc.filter((r) => !mounted.includes(r)), 'documented but not mounted').toEqual([]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('every $ref resolves', () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"([^"]+)"/g) ?? [];
    const unresolved = refs
      .map((r) => r.slice(8, -1))
      .filter((ref) => {
        if (!ref.startsWith('#/')) return true;
        let at: unknown = doc;
        for (const part of ref.slice(2).split('/')) at = (at as Record<string, unknown> | undefined)?.[part];
        return at === undefined;
      });
    expect(unresolved).toEqual([]);
  });

  it('publishes the schemas the handlers parse', () => {
    const checkout = doc.paths['/api/payments/checkout']!.post as { requestBody?: unknown; parameters?: { name: string }[]; security: unknown[] };
    expect(checkout.requestBody).toBeDefined();
    expect(checkout.parameters?.map((p) => p.name)).toContain('idempotency-key');
    expect(checkout.security).toEqual([{ bearer: [] }]);
    const history = doc.paths['/api/conversations/{id}/messages']!.get as { parameters: { name: string; in: string }[] };
    expect(history.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path' }));
    expect(history.parameters.filter((p) => p.in === 'query').length).toBeGreaterThan(0);
  });
});

describe('/api/docs', () => {
  it('is an HTML page with every path, fetching nothing from another host', async () => {
    const res = await fetch(`${node.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    const escaped = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    expect(Object.keys(doc.paths).filter((p) => !html.includes(escaped(p)))).toEqual([]);
    for (const event of Object.keys(clientEventSchemas)) expect(html).toContain(event);
    // No script, stylesheet, image or frame from elsewhere: it must read offline.
    expect(html.match(/<(script|link|img|iframe)\b[^>]*>/gi) ?? []).toEqual([]);
    expect(html.match(/(src|href)\s*=\s*["']?(https?:)?\/\//gi) ?? []).toEqual([]);
  });
});

describe('/api/events.json', () => {
  it('lists every client event with its payload schema, and the server pushes', async () => {
    const res = await http<{ asyncapi: string; channels: Record<string, { messages: Record<string, { payload?: unknown }> }> }>(node.url, 'GET', '/api/events.json');
    expect(res.status).toBe(200);
    expect(res.body.asyncapi).toBe('3.0.0');
    const client = res.body.channels.clientEvents!.messages;
    expect(Object.keys(clientEventSchemas).filter((e) => !client[e]?.payload)).toEqual([]);
    expect(Object.keys(res.body.channels.serverEvents!.messages)).toContain('chat:message');
  });
});
