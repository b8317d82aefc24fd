import { Router } from 'express';
import { z } from 'zod';
import { text } from '../../../../shared/input.js';
import type { Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { AdminPresence } from './admin.presence.js';
import type { RouteDoc } from '../../http/route-docs.js';

export const adminPresenceQuery = z.strictObject({ q: text().trim().max(100).default(''), limit: z.coerce.number().int().min(1).max(200).default(50) });

/** GET /api/admin/presence: the live snapshot and the online users, for admins without a socket. */
export function adminPresenceRoutes(guards: Guards, admin: AdminPresence): Router {
  const r = Router();
  r.get('/presence', guards.requireRole('admin'), async (req, res) => {
    const q = parse(adminPresenceQuery, req.query);
    const [snapshot, users] = await Promise.all([admin.snapshot(), admin.search(q.q, q.limit)]);
    res.json({ snapshot, users });
  });
  return r;
}

/** Mounted at /api/admin. */
export const adminPresenceRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/presence', summary: 'The live snapshot and the online users.', auth: 'admin', query: adminPresenceQuery, response: { status: 200, description: '{ snapshot, users }' } },
];
