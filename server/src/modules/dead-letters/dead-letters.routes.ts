import { Router } from 'express';
import { z } from 'zod';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { AuditService } from '../audit/audit.service.js';
import type { DeadLettersService } from './dead-letters.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export const deadLetterListQuery = z.strictObject({
  status: z.enum(['open', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A dead letter's id in a path: digits only, within PostgreSQL's bigint and JavaScript's safe integers. */
export const deadLetterId = z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a positive integer').transform(Number).pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

/** Admin-only: every job that failed for good, and retrying one. Mounted at /api/admin/jobs. */
export function deadLetterRoutes(d: { guards: Guards; deadLetters: DeadLettersService; audit: AuditService }): Router {
  const r = Router();
  r.use(d.guards.requireRole('admin'));

  r.get('/dead-letters', async (req, res) => {
    const q = parse(deadLetterListQuery, req.query);
    res.json({ deadLetters: await d.deadLetters.list({ open: q.status === 'open', limit: q.limit }) });
  });

  r.post('/dead-letters/:id/retry', async (req, res) => {
    const id = parse(deadLetterId, req.params.id);
    const admin = principalOf(res);
    const result = await d.deadLetters.retry(id, admin.userId);
    if (result.queued) {
      d.audit.record({
        key: `dead_letter_retry:job:${id}`,
        actorId: admin.userId,
        action: 'admin.dead_letter_retry',
        ip: req.ip ?? null,
        meta: { deadLetterId: id, job: result.deadLetter.job, jobId: result.deadLetter.jobId },
      });
    }
    res.status(result.queued ? 202 : 200).json(result);
  });

  return r;
}

/** Mounted at /api/admin/jobs. */
export const deadLetterRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/dead-letters', summary: 'Jobs that failed for good.', auth: 'admin', query: deadLetterListQuery, response: { status: 200, description: '{ deadLetters }' } },
  { method: 'post', path: '/dead-letters/:id/retry', summary: 'Queue a dead job again (audited).', auth: 'admin', params: { id: deadLetterId }, response: { status: 202, description: 'queued (200 when it was already dealt with)' } },
];
