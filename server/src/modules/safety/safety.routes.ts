import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { SafetyStore } from './safety.store.js';
import type { RouteDoc } from '../../http/route-docs.js';

/** Blocks: no messages, no presence and no matching, either way. */
export function safetyRoutes(guards: Guards, safety: SafetyStore): Router {
  const r = Router();
  const { authed } = guards;
  r.get('/blocks', authed, async (_req, res) => {
    const rows = await safety.blockedBy(principalOf(res).userId);
    res.json({ blocks: rows.map((b) => ({ userId: b.blocked_id, displayName: b.display_name, createdAt: b.created_at.toISOString() })) });
  });
  r.put('/blocks/:userId', authed, async (req, res) => {
    const other = parse(z.uuid(), req.params.userId);
    const me = principalOf(res).userId;
    if (other === me) throw new AppError('VALIDATION_FAILED', 'you cannot block yourself');
    if (!(await safety.block(me, other))) throw new AppError('NOT_FOUND', 'no such user');
    res.status(204).end();
  });
  r.delete('/blocks/:userId', authed, async (req, res) => {
    const other = parse(z.uuid(), req.params.userId);
    if (!(await safety.unblock(principalOf(res).userId, other))) throw new AppError('NOT_FOUND', 'not blocked');
    res.status(204).end();
  });
  return r;
}

export const safetyRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/blocks', summary: 'The users the caller blocked, newest first, with their display names.', auth: 'user', response: { status: 200, description: '{ blocks }' } },
  { method: 'put', path: '/blocks/:userId', summary: 'Block a user.', auth: 'user', params: { userId: z.uuid() }, response: { status: 204, description: 'blocked' } },
  { method: 'delete', path: '/blocks/:userId', summary: 'Unblock a user.', auth: 'user', params: { userId: z.uuid() }, response: { status: 204, description: 'unblocked' } },
];
