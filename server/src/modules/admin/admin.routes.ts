import { Router } from 'express';
import { z } from 'zod';
import type { ReconciliationReport } from '../../../../shared/admin.js';
import { text } from '../../../../shared/input.js';
import { adjustmentBody, idempotencyKeyHeader, PROVIDERS } from '../../../../shared/payments.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { AuditService } from '../audit/audit.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { toAdminTransferView } from '../ledger/ledger.view.js';
import type { PaymentsService } from '../payments/payments.service.js';
import { idempotencyKeyOf } from '../payments/payments.routes.js';
import type { ReconciliationService } from '../payments/reconciliation.service.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { DeadLettersService } from '../dead-letters/dead-letters.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export const transfersQuery = z.strictObject({
  account: text().max(100).optional(),
  userId: z.uuid().optional(),
  kind: text().max(50).optional(),
  key: text().max(200).optional(),
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const paymentsQuery = z.strictObject({
  status: text().max(30).optional(),
  provider: z.enum(PROVIDERS).optional(),
  before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** A provider's webhook event id, as a path segment. */
export const deadLetterEventId = text().min(1).max(200);

/** Admin-only money views and actions. Every action is audited; an adjustment needs a reason. */
export function adminMoneyRoutes(d: {
  guards: Guards;
  ledger: LedgerService;
  payments: PaymentsService;
  reconciliation: ReconciliationService;
  audit: AuditService;
  jobs: JobQueue;
  deadLetters: DeadLettersService;
}): Router {
  const r = Router();
  r.use(d.guards.requireRole('admin'));

  r.get('/ledger/transfers', async (req, res) => {
    const q = parse(transfersQuery, req.query);
    const rows = await d.ledger.searchTransfers({
      account: q.account,
      userId: q.userId,
      kind: q.kind,
      keyPrefix: q.key,
      beforeId: q.cursor ?? null,
      limit: q.limit,
    });
    res.json({ transfers: rows.map(toAdminTransferView), nextCursor: rows.length === q.limit ? rows.at(-1)!.id : null });
  });

  r.post('/ledger/adjustments', async (req, res) => {
    const admin = principalOf(res);
    const key = idempotencyKeyOf(req.get('idempotency-key'));
    const body = parse(adjustmentBody, req.body);
    const result = await d.ledger.adjust({ key: `adj:${admin.userId}:${key}`, userId: body.userId, amount: body.amount, reason: body.reason, adminId: admin.userId });
    if (!result.replayed) {
      d.audit.record({
        key: `adjustment:${result.transfers[0]!.id}`,
        actorId: admin.userId,
        action: 'admin.adjustment',
        ip: req.ip ?? null,
        meta: { userId: body.userId, amount: body.amount, reason: body.reason, transferId: result.transfers[0]!.id },
      });
    }
    res.status(result.replayed ? 200 : 201).json({ replayed: result.replayed, transfers: result.transfers, wallet: await d.ledger.balance(body.userId) });
  });

  r.get('/ledger/verify', async (_req, res) => {
    res.json(await d.ledger.verify());
  });

  r.get('/payments', async (req, res) => {
    const q = parse(paymentsQuery, req.query);
    res.json({ payments: await d.payments.adminList({ ...q, before: q.before ? new Date(q.before) : undefined }) });
  });

  r.get('/payments/dead-letters', async (_req, res) => {
    res.json({ events: await d.payments.deadLetters(200) });
  });

  r.post('/payments/dead-letters/:provider/:eventId/retry', async (req, res) => {
    const provider = parse(z.enum(PROVIDERS), req.params.provider);
    const eventId = parse(deadLetterEventId, req.params.eventId);
    await d.payments.retryDeadLetter(provider, eventId);
    // The same failure in the all-jobs view (/api/admin/jobs/dead-letters) is dealt with too.
    await d.deadLetters.retriedElsewhere('payments.process-event', { provider, eventId }, principalOf(res).userId);
    d.audit.record({
      key: `dead_letter_retry:${provider}:${eventId}:${Date.now()}`,
      actorId: principalOf(res).userId,
      action: 'admin.dead_letter_retry',
      ip: req.ip ?? null,
      meta: { provider, eventId },
    });
    res.status(202).json({ queued: true });
  });

  r.get('/reconciliation', async (_req, res) => {
    const latest = await d.reconciliation.latest();
    const report: ReconciliationReport | null = latest
      ? { ...latest, started_at: latest.started_at.toISOString(), finished_at: latest.finished_at?.toISOString() ?? null }
      : null;
    res.json({ report });
  });

  r.post('/reconciliation/run', async (_req, res) => {
    await d.jobs.enqueue('payments.reconcile', {}, { jobId: `reconcile:manual:${Math.floor(Date.now() / 10_000)}` });
    res.status(202).json({ queued: true });
  });

  return r;
}

/** Mounted at /api/admin. */
export const adminMoneyRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/ledger/transfers', summary: 'Search ledger transfers.', auth: 'admin', query: transfersQuery, response: { status: 200, description: '{ transfers, nextCursor }' } },
  { method: 'post', path: '/ledger/adjustments', summary: "Adjust a user's wallet, with a reason (audited).", auth: 'admin', body: adjustmentBody, headers: { 'idempotency-key': idempotencyKeyHeader }, response: { status: 201, description: '{ replayed, transfers, wallet } (200 on a replay)' } },
  { method: 'get', path: '/ledger/verify', summary: 'Check the ledger invariants.', auth: 'admin', response: { status: 200, description: 'the verification report' } },
  { method: 'get', path: '/payments', summary: 'Search payments.', auth: 'admin', query: paymentsQuery, response: { status: 200, description: '{ payments }' } },
  { method: 'get', path: '/payments/dead-letters', summary: 'Webhook events that failed for good.', auth: 'admin', response: { status: 200, description: '{ events }' } },
  { method: 'post', path: '/payments/dead-letters/:provider/:eventId/retry', summary: 'Process a dead webhook event again (audited).', auth: 'admin', params: { provider: z.enum(PROVIDERS), eventId: deadLetterEventId }, response: { status: 202, description: '{ queued }' } },
  { method: 'get', path: '/reconciliation', summary: 'The latest reconciliation report.', auth: 'admin', response: { status: 200, description: '{ report }' } },
  { method: 'post', path: '/reconciliation/run', summary: 'Queue a reconciliation now.', auth: 'admin', response: { status: 202, description: '{ queued }' } },
];
