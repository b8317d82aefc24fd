import express, { Router } from 'express';
import { z } from 'zod';
import { checkoutBody, idempotencyKeyHeader, PROVIDERS, sandboxActionBody } from '../../../../shared/payments.js';
import { AppError } from '../../errors.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { PaymentsService } from './payments.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export const paymentsListQuery = z.strictObject({
  before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export function idempotencyKeyOf(header: string | undefined): string {
  if (header === undefined) throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'an Idempotency-Key header is required');
  const res = idempotencyKeyHeader.safeParse(header);
  if (!res.success) throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 8 to 200 printable characters');
  return res.data;
}

export function paymentsRoutes(guards: Guards, payments: PaymentsService): Router {
  const r = Router();
  const { authed } = guards;
  r.get('/packs', (_req, res) => {
    res.json(payments.catalogue());
  });
  r.post('/checkout', authed, async (req, res) => {
    const key = idempotencyKeyOf(req.get('idempotency-key'));
    // Where a hosted checkout returns to may be where this request came from (return-url.ts).
    const from = { origin: req.get('origin'), self: `${req.protocol}://${req.get('host') ?? ''}` };
    res.status(201).json(await payments.checkout(principalOf(res).userId, parse(checkoutBody, req.body), key, from));
  });
  r.get('/', authed, async (req, res) => {
    const q = parse(paymentsListQuery, req.query);
    res.json({ payments: await payments.listForUser(principalOf(res).userId, q.before ? new Date(q.before) : undefined, q.limit) });
  });
  r.post('/sandbox/:paymentId', authed, async (req, res) => {
    const paymentId = parse(z.uuid(), req.params.paymentId);
    const body = parse(sandboxActionBody, req.body);
    res.json(await payments.sandboxAction(principalOf(res).userId, paymentId, body.action, body.amountMinor));
  });
  return r;
}

/**
 * Provider webhooks need the raw bytes for signature checks, so this router
 * is mounted before the JSON parser. 200 as soon as the event is stored.
 */
export function webhookRoutes(payments: PaymentsService): Router {
  const r = Router();
  r.post('/:provider', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const provider = parse(z.enum(PROVIDERS), req.params.provider);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    res.json(await payments.receiveWebhook(provider, raw, req.headers));
  });
  return r;
}

const idempotency = { 'idempotency-key': idempotencyKeyHeader };

/** Mounted at /api/payments. */
export const paymentsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/packs', summary: 'The credit packs on sale and the providers that take payment.', auth: 'none', response: { status: 200, description: 'the catalogue' } },
  {
    method: 'post',
    path: '/checkout',
    summary:
      'Start buying a pack; the Idempotency-Key makes a retry return the same payment. `flow` "hosted" (Stripe only) answers a Stripe Checkout `checkoutUrl` to send the browser to, which returns to /wallet?payment=<id>; "embedded" (the default) what the provider\'s client SDK needs.',
    auth: 'user',
    body: checkoutBody,
    headers: idempotency,
    response: {
      status: 201,
      description:
        '{ payment, client }: client by provider and flow — stripe embedded { clientSecret, paymentIntentId }, stripe hosted { checkoutUrl, sessionId, expiresAt }, razorpay { orderId, keyId, amount, currency }, sandbox { completeUrl, actions }; each with provider and flow',
    },
  },
  { method: 'get', path: '/', summary: "The caller's payments, newest first.", auth: 'user', query: paymentsListQuery, response: { status: 200, description: '{ payments }' } },
  { method: 'post', path: '/sandbox/:paymentId', summary: 'Sandbox provider only: settle, fail or refund a payment.', auth: 'user', params: { paymentId: z.uuid() }, body: sandboxActionBody, response: { status: 200, description: 'the payment' } },
];

/** Mounted at /api/payments/webhooks, before the JSON parser: the body is the provider's raw signed bytes. */
export const webhookRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/:provider', summary: "A payment provider's signed webhook event.", auth: 'none', params: { provider: z.enum(PROVIDERS) }, response: { status: 200, description: 'stored' } },
];
