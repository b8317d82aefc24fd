import { Router } from 'express';
import { updateMeBody } from '../../../../shared/auth.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { UsersService } from './users.service.js';

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
