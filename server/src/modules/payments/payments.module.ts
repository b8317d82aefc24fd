import { mountedAt } from '../../http/route-docs.js';
import { createHmac } from 'node:crypto';
import { Router } from 'express';
import type { ProviderName } from '../../../../shared/payments.js';
import { createBreaker } from '../../breaker.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { LedgerStore } from '../ledger/ledger.store.js';
import type { RiskService } from '../risk/risk.service.js';
import { paymentsDeadLetterHooks, paymentsJobs } from './payments.jobs.js';
import { paymentsRoutes, webhookRoutes, paymentsRouteDocs, webhookRouteDocs } from './payments.routes.js';
import { PaymentsService } from './payments.service.js';
import { PaymentsStore } from './payments.store.js';
import type { PaymentProvider } from './providers/provider.js';
import { createRazorpayProvider, razorpayOutage } from './providers/razorpay.provider.js';
import { createSandboxProvider } from './providers/sandbox.provider.js';
import { createStripeProvider, stripeOutage } from './providers/stripe.provider.js';
import { ReconciliationStore } from './reconciliation.store.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

export function paymentsModule(d: {
  config: Config;
  jwtSecret: string;
  db: Database;
  ledger: LedgerService;
  ledgerStore: LedgerStore;
  jobs: JobQueue;
  logger: Logger;
  risk?: Pick<RiskService, 'assessPayment' | 'recordPayment'>;
  events?: EventRecorder;
}) {
  const { config, logger } = d;
  const store = new PaymentsStore(d.db);
  const reconciliationStore = new ReconciliationStore(d.db);
  const providers = createProviders(config, d.jwtSecret, logger);
  const service = new PaymentsService({
    db: d.db,
    store,
    ledger: d.ledger,
    providers,
    packs: config.payments.packs,
    jobs: d.jobs,
    logger,
    web: { publicWebUrl: config.publicWebUrl, allowedOrigins: config.corsOrigins, publicUrl: config.publicUrl },
    risk: d.risk,
    events: d.events,
  });
  return {
    name: 'payments',
    service,
    store,
    providers,
    reconciliationStore,
    deadLetterHooks: paymentsDeadLetterHooks(service),
    routes: (guards) => Router().use('/payments', paymentsRoutes(guards, service)),
    publicRoutes: Router().use('/api/payments/webhooks', webhookRoutes(service)),
    docs: [...mountedAt('/api/payments', paymentsRouteDocs, 'payments'), ...mountedAt('/api/payments/webhooks', webhookRouteDocs, 'payments')],
    jobs: paymentsJobs({ payments: service, providers, paymentsStore: store, ledgerStore: d.ledgerStore, reconciliationStore, logger }),
    schedules: [
      { name: 'payments.reconcile', payload: {}, everyMs: config.payments.reconcileSeconds * 1000 },
      { name: 'payments.requeue-stale', payload: {}, everyMs: config.payments.requeueSeconds * 1000 },
    ],
  } satisfies ModuleWithServices;
}

/** The payment providers this deployment has keys for; the sandbox only where enabled. */
export function createProviders(config: Config, jwtSecret: string, logger?: Logger): Map<ProviderName, PaymentProvider> {
  const providers = new Map<ProviderName, PaymentProvider>();
  const { stripe, razorpay, sandbox, breaker: b } = config.payments;
  // One breaker per provider and process: each node learns of an outage from its own calls.
  const breaker = (name: string, isFailure: (err: unknown) => boolean) =>
    createBreaker({ name: `payments:${name}`, code: 'PROVIDER_UNAVAILABLE', failures: b.failures, halfOpenMs: b.halfOpenMs, timeoutMs: b.timeoutMs, isFailure, logger });
  if (stripe) providers.set('stripe', createStripeProvider({ ...stripe, timeoutMs: b.timeoutMs, breaker: breaker('stripe', stripeOutage) }));
  if (razorpay) providers.set('razorpay', createRazorpayProvider({ ...razorpay, timeoutMs: b.timeoutMs, breaker: breaker('razorpay', razorpayOutage) }));
  // Derived from the JWT secret so every node of a deployment signs and verifies alike, with nothing more to configure.
  if (sandbox) providers.set('sandbox', createSandboxProvider({ secret: createHmac('sha256', jwtSecret).update('pairly-sandbox-webhooks').digest('hex') }));
  return providers;
}
