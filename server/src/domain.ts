import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { JobHandlers, JobQueue, JobSchedule } from './jobs/jobs.js';
import type { Logger } from './logger.js';
import type { Realtime } from './realtime/realtime.js';
import { auditJobs } from './modules/audit/audit.jobs.js';
import { AuditService } from './modules/audit/audit.service.js';
import { AuditStore } from './modules/audit/audit.store.js';
import { ledgerJobs } from './modules/ledger/ledger.jobs.js';
import { LedgerService } from './modules/ledger/ledger.service.js';
import { LedgerStore } from './modules/ledger/ledger.store.js';
import { UsersStore } from './modules/users/users.store.js';
import { createHmac } from 'node:crypto';
import type { ProviderName } from '../../shared/payments.js';
import { paymentsDeadLetterHooks, paymentsJobs } from './modules/payments/payments.jobs.js';
import { PaymentsService } from './modules/payments/payments.service.js';
import { PaymentsStore } from './modules/payments/payments.store.js';
import type { PaymentProvider } from './modules/payments/providers/provider.js';
import { createRazorpayProvider, razorpayOutage } from './modules/payments/providers/razorpay.provider.js';
import { createSandboxProvider } from './modules/payments/providers/sandbox.provider.js';
import { createStripeProvider, stripeOutage } from './modules/payments/providers/stripe.provider.js';
import { createBreaker } from './breaker.js';
import { ReconciliationStore } from './modules/payments/reconciliation.store.js';
import type { SfuController } from '../../shared/sfu.js';
import { callsJobs } from './modules/calls/calls.jobs.js';
import { CallsService } from './modules/calls/calls.service.js';
import { CallsStore } from './modules/calls/calls.store.js';
import { SfuRooms } from './modules/calls/sfu-rooms.js';
import type { PresenceStore } from './modules/presence/presence.store.js';
import { SafetyStore } from './modules/safety/safety.store.js';
import { DeadLettersService } from './modules/dead-letters/dead-letters.service.js';
import { DeadLettersStore } from './modules/dead-letters/dead-letters.store.js';

/**
 * The stores and services that both a server node and the workers process
 * need (job handlers call them). What only serves HTTP/sockets (auth's rate
 * limits, the event router) is built in pairly.ts.
 */
export interface Domain {
  users: UsersStore;
  audit: AuditService;
  auditStore: AuditStore;
  ledger: LedgerService;
  ledgerStore: LedgerStore;
  payments: PaymentsService;
  paymentsStore: PaymentsStore;
  providers: Map<ProviderName, PaymentProvider>;
  reconciliationStore: ReconciliationStore;
  calls: CallsService;
  sfuRooms: SfuRooms;
  safety: SafetyStore;
  /** Where every job that fails for good lands, whichever driver ran it. */
  deadLetters: DeadLettersService;
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

export function createDomain(d: {
  config: Config;
  jwtSecret: string;
  db: Database;
  logger: Logger;
  jobs: JobQueue;
  realtime: Realtime;
  presence: Pick<PresenceStore, 'statuses' | 'rebuiltAt'>;
  sfu: SfuController | undefined;
}): Domain {
  const auditStore = new AuditStore(d.db);
  const ledgerStore = new LedgerStore(d.db);
  const paymentsStore = new PaymentsStore(d.db);
  const ledger = new LedgerService({ db: d.db, store: ledgerStore, realtime: d.realtime, logger: d.logger, options: d.config.ledger });
  const providers = createProviders(d.config, d.jwtSecret, d.logger);
  const users = new UsersStore(d.db);
  const safety = new SafetyStore(d.db);
  const sfuRooms = new SfuRooms({ sfu: d.sfu, jobs: d.jobs, logger: d.logger });
  const payments = new PaymentsService({ db: d.db, store: paymentsStore, ledger, providers, packs: d.config.payments.packs, jobs: d.jobs, logger: d.logger });
  return {
    users,
    safety,
    sfuRooms,
    calls: new CallsService({
      db: d.db,
      store: new CallsStore(d.db),
      users,
      safety,
      ledger,
      realtime: d.realtime,
      jobs: d.jobs,
      presence: d.presence,
      sfu: d.sfu,
      rooms: sfuRooms,
      logger: d.logger,
      // After Redis lost presence every live node has written its sockets back within one heartbeat:
      // until then (a TTL, to spare) an offline participant may only be one not written back yet.
      options: { ...d.config.calls, presenceSettleSeconds: d.config.chat.presenceTtlSeconds },
    }),
    audit: new AuditService(d.jobs, d.logger),
    auditStore,
    ledgerStore,
    ledger,
    paymentsStore,
    providers,
    reconciliationStore: new ReconciliationStore(d.db),
    payments,
    deadLetters: new DeadLettersService({ store: new DeadLettersStore(d.db), jobs: d.jobs, logger: d.logger, hooks: { ...paymentsDeadLetterHooks(payments) } }),
  };
}

/** Every module's job handlers; the same object runs under BullMQ and inline. */
export function createJobHandlers(domain: Domain, logger: Logger): JobHandlers {
  return {
    ...auditJobs(domain.auditStore),
    ...ledgerJobs(domain.ledger, domain.ledgerStore, logger),
    ...paymentsJobs({ ...domain, logger }),
    ...callsJobs(domain.calls, domain.sfuRooms),
  };
}

/** Recurring jobs. Idempotent: every process that runs workers may schedule them. */
export function recurringJobs(config: Config): JobSchedule[] {
  return [
    { name: 'ledger.expire-holds', payload: {}, everyMs: config.ledger.holdSweepSeconds * 1000 },
    { name: 'ledger.verify', payload: {}, everyMs: config.ledger.verifySeconds * 1000 },
    { name: 'payments.reconcile', payload: {}, everyMs: config.payments.reconcileSeconds * 1000 },
    { name: 'payments.requeue-stale', payload: {}, everyMs: config.payments.requeueSeconds * 1000 },
    ...(config.sfu.instances.length > 0 ? [{ name: 'calls.media-sweep' as const, payload: {}, everyMs: config.calls.mediaSweepSeconds * 1000 }] : []),
  ];
}
