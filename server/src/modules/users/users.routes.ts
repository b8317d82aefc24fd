import { Router } from 'express';
import { updateMeBody } from '../../../../shared/auth.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { UsersService } from './users.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export function meRoutes(guards: Guards, users: UsersService): Router {
  const r = Router();
  const { authed } = guards;
  r.get('/', authed, async (_req, res) => {
    res.json({ user: await users.me(principalOf(res).userId) });
  });
  r.patch('/', authed, async (req, res) => {
    res.json({ user: await users.updateMe(principalOf(res).userId, parse(updateMeBody, req.body), req.ip ?? null) });
  });
  return r;
}

/** Mounted at /api/me. */
export const meRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: "The caller's own user.", auth: 'user', response: { status: 200, description: '{ user }' } },
  { method: 'patch', path: '/', summary: "Update the caller's own user (display name, prices).", auth: 'user', body: updateMeBody, response: { status: 200, description: '{ user }' } },
];
