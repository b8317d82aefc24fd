import type { z } from 'zod';

/**
 * One REST route as published in /api/openapi.json. Each `*.routes.ts` keeps
 * a table of these next to its router, holding the same schemas its handlers
 * parse; a module's `docs` has them with its mount prefix applied.
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express pattern (`/conversations/:id/messages`). */
  path: string;
  summary: string;
  /** Who may call: anyone, a signed-in user (bearer token), an admin, or the embedded control secret. */
  auth: 'none' | 'user' | 'admin' | 'control';
  params?: Record<string, z.ZodType>;
  query?: z.ZodType;
  body?: z.ZodType;
  headers?: Record<string, z.ZodType>;
  /** The success status and what it returns: a schema where one exists, else a sentence. */
  response: { status: number; description: string; schema?: z.ZodType };
  tag?: string;
}

/** The table of a router mounted at `prefix`. */
export function mountedAt(prefix: string, docs: RouteDoc[], tag?: string): RouteDoc[] {
  return docs.map((d) => ({ ...d, path: d.path === '/' && prefix ? prefix : prefix + d.path, tag: d.tag ?? tag }));
}
