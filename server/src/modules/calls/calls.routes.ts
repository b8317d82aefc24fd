import { Router } from 'express';
import { z } from 'zod';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { CallsService } from './calls.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export const callsQuery = z.strictObject({ before: z.iso.datetime().optional(), limit: z.coerce.number().int().min(1).max(100).default(30) });

/** GET /api/calls: the caller's and the callee's history, each with their own receipt. */
export function callsRoutes(guards: Guards, calls: CallsService): Router {
  const r = Router();
  r.get('/calls', guards.authed, async (req, res) => {
    const q = parse(callsQuery, req.query);
    res.json({ calls: await calls.history(principalOf(res).userId, q.before ? new Date(q.before) : null, q.limit) });
  });
  r.get('/calls/ice-servers', guards.authed, (_req, res) => {
    res.json({ iceServers: calls.iceServers(principalOf(res).userId) });
  });
  return r;
}

export const callsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/calls', summary: "The caller's call history, each with its own receipt.", auth: 'user', query: callsQuery, response: { status: 200, description: '{ calls }' } },
  { method: 'get', path: '/calls/ice-servers', summary: 'STUN/TURN servers with short-lived credentials.', auth: 'user', response: { status: 200, description: '{ iceServers }' } },
];
