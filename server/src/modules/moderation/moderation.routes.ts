import { Router } from 'express';
import { z } from 'zod';
import { moderationDecisionBody, moderationQueueQuery } from '../../../../shared/moderation.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { ModerationService } from './moderation.service.js';

const verdictId = z.uuid();

/** Mounted at /api/admin/moderation. */
export function moderationAdminRoutes(guards: Guards, moderation: ModerationService): Router {
  const r = Router();
  const admin = guards.requireRole('admin');
  r.get('/queue', admin, async (req, res) => void res.json({ items: await moderation.queue(parse(moderationQueueQuery, req.query).limit) }));
  r.post('/:id/decision', admin, async (req, res) => {
    const body = parse(moderationDecisionBody, req.body);
    res.json({ verdict: await moderation.decide(principalOf(res).userId, parse(verdictId, req.params.id), body.decision, req.ip ?? null) });
  });
  return r;
}

export const moderationAdminRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/queue',
    summary: 'Admins: quarantined items waiting for a decision, oldest first, with their scores and reasons (shown to their owner only until decided).',
    auth: 'admin',
    query: moderationQueueQuery,
    response: { status: 200, description: '{ items: [{ id, subjectKind, subjectId, userId, userName, place, verdict, scores, reasons, createdAt }] }' },
  },
  {
    method: 'post',
    path: '/:id/decision',
    summary:
      'Admins: settle a quarantined item: allow (shown to everyone) or remove (withdrawn). Audited. MODERATION_ALREADY_DECIDED when it was settled already or is not a quarantine; NOT_FOUND.',
    auth: 'admin',
    params: { id: verdictId },
    body: moderationDecisionBody,
    response: { status: 200, description: '{ verdict }' },
  },
];
