import express, { Router } from 'express';
import { z } from 'zod';
import {
  PAYOUT_PROVIDERS,
  adminPayoutQueueQuery,
  batchApprovePayoutsBody,
  payoutListQuery,
  payoutScheduleBody,
  razorpayMethodBody,
  rejectPayoutBody,
  requestPayoutBody,
} from '../../../../shared/payouts.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { PayoutsService } from './payouts.service.js';

const id = z.uuid();

/** The creator's payouts. Mounted at /api/payouts. */
export function payoutsRoutes(guards: Guards, service: PayoutsService): Router {
  const r = Router();
  r.use(guards.authed);
  r.get('/overview', async (_req, res) => {
    res.json(await service.overview(principalOf(res).userId));
  });
  r.get('/', async (req, res) => {
    const q = parse(payoutListQuery, req.query);
    res.json(await service.list(principalOf(res).userId, q.limit, q.cursor));
  });
  r.post('/', async (req, res) => {
    const result = await service.request(principalOf(res), parse(requestPayoutBody, req.body), req.ip ?? null);
    res.status(result.replayed ? 200 : 201).json(result);
  });
  r.post('/:id/cancel', async (req, res) => {
    res.json(await service.cancel(principalOf(res), parse(id, req.params.id), req.ip ?? null));
  });
  r.post('/methods/stripe', async (req, res) => {
    const from = { origin: req.get('origin'), self: `${req.protocol}://${req.get('host') ?? ''}` };
    res.json(await service.onboardStripe(principalOf(res), from));
  });
  r.post('/methods/stripe/refresh', async (_req, res) => {
    res.json(await service.refreshStripe(principalOf(res)));
  });
  r.post('/methods/razorpay', async (req, res) => {
    res.json(await service.addRazorpay(principalOf(res), parse(razorpayMethodBody, req.body)));
  });
  r.put('/schedule', async (req, res) => {
    res.json(await service.setSchedule(principalOf(res), parse(payoutScheduleBody, req.body)));
  });
  return r;
}

/** Admin-only: the approval queue and decisions. Mounted at /api/admin/payouts. */
export function adminPayoutsRoutes(guards: Guards, service: PayoutsService): Router {
  const r = Router();
  r.use(guards.requireRole('admin'));
  r.get('/', async (req, res) => {
    res.json(await service.queue(parse(adminPayoutQueueQuery, req.query)));
  });
  r.post('/approve', async (req, res) => {
    res.json(await service.approveMany(principalOf(res), parse(batchApprovePayoutsBody, req.body).ids, req.ip ?? null));
  });
  r.post('/:id/approve', async (req, res) => {
    res.json(await service.approve(principalOf(res), parse(id, req.params.id), req.ip ?? null));
  });
  r.post('/:id/reject', async (req, res) => {
    const payoutId = parse(id, req.params.id);
    res.json(await service.reject(principalOf(res), payoutId, parse(rejectPayoutBody, req.body).reason, req.ip ?? null));
  });
  return r;
}

/** Provider webhooks (raw bytes for the signature): mounted at /api/payouts/webhooks before the JSON parser. */
export function payoutWebhookRoutes(service: PayoutsService): Router {
  const r = Router();
  r.post('/:provider', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const provider = parse(z.enum(PAYOUT_PROVIDERS), req.params.provider);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    res.json(await service.receiveWebhook(provider, raw, req.headers));
  });
  return r;
}

/** Mounted at /api/payouts. */
export const payoutsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/overview', summary: 'What a payout needs: the minimum and rates, the earnings (available), verified or not, the payout methods and the automatic schedule.', auth: 'user', response: { status: 200, description: '{ terms, earnings, verified, methods, schedule }' } },
  { method: 'get', path: '/', summary: "The caller's payouts, newest first.", auth: 'user', query: payoutListQuery, response: { status: 200, description: '{ payouts, nextCursor }' } },
  { method: 'post', path: '/', summary: 'Request a payout of available earnings (verified creators; idempotent on id). The credits leave earnings at once and come back if it does not reach the creator.', auth: 'user', body: requestPayoutBody, response: { status: 201, description: '{ payout, replayed } (200 when replayed)' } },
  { method: 'post', path: '/:id/cancel', summary: 'Cancel a payout not yet approved; the credits return to earnings.', auth: 'user', params: { id }, response: { status: 200, description: '{ payout }' } },
  { method: 'post', path: '/methods/stripe', summary: 'Create (once) a Stripe Connect Express account and answer a fresh onboarding link.', auth: 'user', response: { status: 200, description: '{ method, url }' } },
  { method: 'post', path: '/methods/stripe/refresh', summary: "Ask Stripe for the account's state (after onboarding).", auth: 'user', response: { status: 200, description: '{ method }' } },
  { method: 'post', path: '/methods/razorpay', summary: 'Add a RazorpayX fund account: a bank account (IFSC and number) or a UPI address.', auth: 'user', body: razorpayMethodBody, response: { status: 200, description: '{ method }' } },
  { method: 'put', path: '/schedule', summary: 'Automatic payouts, weekly or monthly, of everything available above the minimum; every: null turns them off.', auth: 'user', body: payoutScheduleBody, response: { status: 200, description: '{ schedule }' } },
];

/** Mounted at /api/admin/payouts. */
export const adminPayoutsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/', summary: 'Payouts of one status, oldest first (default: the approval queue, requested).', auth: 'admin', query: adminPayoutQueueQuery, response: { status: 200, description: '{ payouts, nextCursor }' } },
  { method: 'post', path: '/approve', summary: 'Approve several requested payouts (each audited and sent on its own).', auth: 'admin', body: batchApprovePayoutsBody, response: { status: 200, description: '{ approved, refused: [{ id, code }] }' } },
  { method: 'post', path: '/:id/approve', summary: 'Approve a requested payout (audited); a job sends it.', auth: 'admin', params: { id }, response: { status: 200, description: '{ payout }' } },
  { method: 'post', path: '/:id/reject', summary: 'Reject a requested payout with a reason shown to the creator (audited); the credits return.', auth: 'admin', params: { id }, body: rejectPayoutBody, response: { status: 200, description: '{ payout }' } },
];

/** Mounted at /api/payouts/webhooks, before the JSON parser. */
export const payoutWebhookRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/:provider', summary: "A payout provider's signed webhook event (Stripe Connect, RazorpayX).", auth: 'none', params: { provider: z.enum(PAYOUT_PROVIDERS) }, response: { status: 200, description: '{ received, replayed }' } },
];
