import { mountedAt } from '../../http/route-docs.js';
import { Router } from 'express';
import { adminEventSchemas, type AdminEventResults } from '../../../../shared/admin.js';
import type { Config } from '../../config.js';
import type { Counters } from '../../counters.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import type { ModuleWithServices } from '../../module.js';
import type { Authenticator } from '../../principal.js';
import { EventRouter } from '../../realtime/event-router.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuditStore } from '../audit/audit.store.js';
import { createPasswordHasher } from '../auth/passwords.js';
import type { CallsService } from '../calls/calls.service.js';
import type { DeadLettersService } from '../dead-letters/dead-letters.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { MatchService } from '../match/match.service.js';
import type { PaymentsService } from '../payments/payments.service.js';
import type { ReconciliationService } from '../payments/reconciliation.service.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { PresenceStore } from '../presence/presence.store.js';
import type { UsersStore } from '../users/users.store.js';
import { adminControlRouteDocs, adminControlRoutes } from './admin.control.routes.js';
import { createAdmin } from './admin.create.js';
import { AdminPresence, attachAdminNamespace } from './admin.presence.js';
import type { SocketQuota } from '../../realtime/socket-quota.js';
import { adminPresenceRouteDocs, adminPresenceRoutes } from './admin.presence.routes.js';
import { adminMoneyRouteDocs, adminMoneyRoutes } from './admin.routes.js';

/** What admins watch (presence, live over /admin) and act on (money, reconciliation); the embedded control API. */
export function adminModule(d: {
  config: Config;
  logger: Logger;
  auth: Authenticator;
  users: UsersStore;
  audit: AuditService;
  auditStore: AuditStore;
  presenceStore: PresenceStore;
  presence: PresenceService;
  counters: Counters;
  match: MatchService;
  calls: CallsService;
  ledger: LedgerService;
  payments: PaymentsService;
  reconciliation: ReconciliationService;
  jobs: JobQueue;
  deadLetters: DeadLettersService;
  /** Embedded mode with the data dir locked: the CLI's control call is authorised by this secret (control.ts). */
  control?: { secret: string };
  /** The per-user socket cap's store: /admin sockets are capped like the main namespace's. */
  socketQuota?: SocketQuota;
}) {
  const { config, logger } = d;
  const admin = new AdminPresence({ nodeId: config.nodeId, store: d.presenceStore, presence: d.presence, counters: d.counters, users: d.users, match: d.match, calls: d.calls });
  const control = d.control;
  let detach: (() => void) | undefined;
  return {
    name: 'admin',
    presence: admin,
    routes: (guards) =>
      Router()
        .use('/admin', adminPresenceRoutes(guards, admin))
        .use(
          '/admin',
          adminMoneyRoutes({
            guards,
            ledger: d.ledger,
            payments: d.payments,
            reconciliation: d.reconciliation,
            audit: d.audit,
            jobs: d.jobs,
            deadLetters: d.deadLetters,
          }),
        ),
    docs: [
      ...mountedAt('/api/admin', [...adminPresenceRouteDocs, ...adminMoneyRouteDocs], 'admin'),
      ...(control ? mountedAt('', adminControlRouteDocs, 'admin') : []),
    ],
    publicRoutes: control
      ? adminControlRoutes({
          secret: control.secret,
          createAdmin: (input) => createAdmin({ users: d.users, audit: d.auditStore, passwords: createPasswordHasher(config.argon2MemoryKib) }, input, 'control'),
          verifyLedger: () => d.ledger.verify(),
        })
      : undefined,
    start({ io, metrics }) {
      const router = new EventRouter<typeof adminEventSchemas, AdminEventResults>(adminEventSchemas, {
        perSocket: { points: 20, windowMs: 2000 },
        logger,
        metrics,
      });
      detach = attachAdminNamespace(io.of('/admin'), { auth: d.auth, admin, router, logger, quota: d.socketQuota });
    },
    stop: () => detach?.(),
  } satisfies ModuleWithServices;
}
