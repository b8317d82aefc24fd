import { Router } from 'express';
import { z } from 'zod';
import { rejectVerificationBody, submitVerificationBody, verificationQueueQuery } from '../../../../shared/verification.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { VerificationService } from './verification.service.js';

const id = z.uuid();

/** The creator's own verification. Mounted at /api/verification. */
export function verificationRoutes(guards: Guards, service: VerificationService): Router {
  const r = Router();
  r.use(guards.authed);

  r.get('/', async (_req, res) => {
    res.json({ verification: await service.state(principalOf(res).userId) });
  });

  r.post('/', async (req, res) => {
    const result = await service.submit(principalOf(res), parse(submitVerificationBody, req.body), req.ip ?? null);
    res.status(result.replayed ? 200 : 201).json(result);
  });

  return r;
}

/** Admin-only: the review queue and the decisions. Mounted at /api/admin/verifications. */
export function adminVerificationRoutes(guards: Guards, service: VerificationService): Router {
  const r = Router();
  r.use(guards.requireRole('admin'));

  r.get('/', async (req, res) => {
    res.json(await service.queue(principalOf(res), parse(verificationQueueQuery, req.query)));
  });

  r.post('/:id/approve', async (req, res) => {
    res.json({ verification: await service.approve(principalOf(res), parse(id, req.params.id), req.ip ?? null) });
  });

  r.post('/:id/reject', async (req, res) => {
    const verificationId = parse(id, req.params.id);
    const b = parse(rejectVerificationBody, req.body);
    res.json({ verification: await service.reject(principalOf(res), verificationId, b.reason, req.ip ?? null) });
  });

  return r;
}

/** Mounted at /api/verification. */
export const verificationRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: "The caller's verification: verified or not, and the latest submission (its rejection reason).", auth: 'user', response: { status: 200, description: '{ verification: { verified, submission } }' } },
  { method: 'post', path: '/', summary: 'Submit legal name, date of birth (18+), country and two verification_document photos (creators; idempotent on id).', auth: 'user', body: submitVerificationBody, response: { status: 201, description: '{ verification, replayed } (200 when replayed)' } },
];

/** Mounted at /api/admin/verifications. */
export const adminVerificationRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: 'The review queue of one status, oldest first, with signed URLs to each submission\'s photos.', auth: 'admin', query: verificationQueueQuery, response: { status: 200, description: '{ verifications, nextCursor }' } },
  { method: 'post', path: '/:id/approve', summary: 'Approve a pending verification (audited).', auth: 'admin', params: { id }, response: { status: 200, description: '{ verification }' } },
  { method: 'post', path: '/:id/reject', summary: 'Reject a pending verification with a reason shown to the creator (audited).', auth: 'admin', params: { id }, body: rejectVerificationBody, response: { status: 200, description: '{ verification }' } },
];
