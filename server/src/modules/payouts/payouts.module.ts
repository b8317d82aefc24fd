import type { Notify } from '../notifications/notifications.service.js';
import { Router } from 'express';
import { createBreaker } from '../../breaker.js';
import type { Config } from '../../config.js';
import type { Authenticator } from '../../principal.js';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EarningsService } from '../earnings/earnings.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { stripeOutage } from '../payments/providers/stripe.provider.js';
import type { UsersStore } from '../users/users.store.js';
import type { VerificationService } from '../verification/verification.service.js';
import { payoutsJobs } from './payouts.jobs.js';
import { adminPayoutsRouteDocs, adminPayoutsRoutes, payoutWebhookRouteDocs, payoutWebhookRoutes, payoutsRouteDocs, payoutsRoutes } from './payouts.routes.js';
import { PayoutsService } from './payouts.service.js';
import { PayoutsStore } from './payouts.store.js';
import { createRazorpayX, razorpayXOutage } from './providers/razorpayx.js';
import { createStripeConnect } from './providers/stripe-connect.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

/**
 * Payouts (issue #13): creators' payout methods (Stripe Connect Express, RazorpayX), requests, the admin
 * approval queue, sending (job `payouts.send`) and the providers' webhooks; automatic payouts on a
 * schedule (`payouts.sweep`, which also re-sends approved payouts whose job was lost).
 */
export function payoutsModule(d: {
  config: Config;
  db: Database;
  ledger: Pick<LedgerService, 'payoutMove' | 'lockEarnings' | 'notify'>;
  earnings: Pick<EarningsService, 'summary'>;
  verification: Pick<VerificationService, 'isVerified'>;
  audit: Pick<AuditService, 'recordIn'>;
  users: Pick<UsersStore, 'summaries' | 'findById'>;
  auth: Pick<Authenticator, 'requireSecondFactor'>;
  jobs: JobQueue;
  logger: Logger;
  notify: Notify;
  events?: EventRecorder;
}) {
  const { config, logger } = d;
  const { stripe, razorpay, minCredits, sweepSeconds, stepUpSeconds } = config.payouts;
  const b = config.payments.breaker;
  const breaker = (name: string, isFailure: (err: unknown) => boolean) =>
    createBreaker({ name: `payouts:${name}`, code: 'PROVIDER_UNAVAILABLE', failures: b.failures, halfOpenMs: b.halfOpenMs, timeoutMs: b.timeoutMs, isFailure, logger });
  const store = new PayoutsStore(d.db);
  const service = new PayoutsService({
    db: d.db,
    store,
    requireSecondFactor: (user) => d.auth.requireSecondFactor(user, stepUpSeconds),
    ledger: d.ledger,
    earnings: d.earnings,
    verification: d.verification,
    audit: d.audit,
    users: d.users,
    jobs: d.jobs,
    logger,
    notify: d.notify,
    events: d.events,
    stripe: stripe ? createStripeConnect({ ...stripe, timeoutMs: b.timeoutMs, breaker: breaker('stripe', stripeOutage) }) : undefined,
    razorpay: razorpay ? createRazorpayX({ ...razorpay, timeoutMs: b.timeoutMs, breaker: breaker('razorpay', razorpayXOutage) }) : undefined,
    options: { minCredits, web: { publicWebUrl: config.publicWebUrl, allowedOrigins: config.corsOrigins, publicUrl: config.publicUrl } },
  });
  return {
    name: 'payouts',
    service,
    routes: (guards) => Router().use('/payouts', payoutsRoutes(guards, service)).use('/admin/payouts', adminPayoutsRoutes(guards, service)),
    publicRoutes: Router().use('/api/payouts/webhooks', payoutWebhookRoutes(service)),
    docs: [
      ...mountedAt('/api/payouts', payoutsRouteDocs, 'payouts'),
      ...mountedAt('/api/admin/payouts', adminPayoutsRouteDocs, 'admin'),
      ...mountedAt('/api/payouts/webhooks', payoutWebhookRouteDocs, 'payouts'),
    ],
    jobs: payoutsJobs({ payouts: service, logger }),
    schedules: [{ name: 'payouts.sweep', payload: {}, everyMs: sweepSeconds * 1000 }],
  } satisfies ModuleWithServices;
}
