import type { Notify } from '../notifications/notifications.service.js';
import { Router } from 'express';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { mountedAt } from '../../http/route-docs.js';
import type { ModuleWithServices } from '../../module.js';
import type { LimiterFactory } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuditStore } from '../audit/audit.store.js';
import type { AuthService } from '../auth/auth.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { UsersStore } from '../users/users.store.js';
import { adminReportsRouteDocs, adminReportsRoutes } from './admin-reports.routes.js';
import { AdminUsersService } from './admin-users.service.js';
import { AppealTokens } from './appeal-tokens.js';
import { DecisionsService, type BanEffects, type Removal } from './decisions.service.js';
import { reportsRouteDocs, reportsRoutes } from './reports.routes.js';
import { ReportsService, type Snapshots } from './reports.service.js';
import { ReportsStore } from './reports.store.js';
import { AppError } from '../../errors.js';

/**
 * Trust and safety's reports to decisions (issue #18): one reports model and admin queue, decisions and
 * appeals, the audit-log view and admin user management. The reported subjects' modules take the snapshots
 * and the removals; a ban's payouts and subscriptions are theirs too.
 */
export function reportsModule(d: {
  config: Config;
  jwtSecret: string;
  db: Database;
  users: UsersStore;
  auth: AuthService;
  ledger: LedgerService;
  realtime: Realtime;
  audit: AuditService;
  auditStore: AuditStore;
  limiter: LimiterFactory;
  /** Every subject's but a user's (this module reads users itself). */
  snapshots: Omit<Snapshots, 'user'>;
  removals: Partial<Record<'message' | 'post' | 'profile', Removal>>;
  ban: BanEffects;
  notify: Notify;
}) {
  const store = new ReportsStore(d.db);
  const appealTokens = new AppealTokens(d.jwtSecret);
  const reports = new ReportsService({
    store,
    users: d.users,
    snapshots: { ...d.snapshots, user: (_viewer, id) => userSnapshot(d.users, id) },
    limiter: d.limiter({ keyPrefix: 'reports', points: d.config.reports.perHour, durationSeconds: 3600 }),
  });
  const decisions = new DecisionsService({ db: d.db, store, users: d.users, auth: d.auth, realtime: d.realtime, audit: d.audit, appealTokens, removals: d.removals, ban: d.ban, notify: d.notify });
  const users = new AdminUsersService({ db: d.db, users: d.users, auth: d.auth, ledger: d.ledger, reports, store, audit: d.audit });
  return {
    name: 'reports',
    decisions,
    routes: (guards) =>
      Router()
        .use(reportsRoutes(guards, { reports, decisions, appealTokens }))
        .use('/admin', adminReportsRoutes(guards, { reports, decisions, users, audit: d.auditStore })),
    docs: [...mountedAt('/api', reportsRouteDocs, 'reports'), ...mountedAt('/api/admin', adminReportsRouteDocs, 'admin')],
  } satisfies ModuleWithServices;
}

/** A reported account as it looked: its public name and role. */
async function userSnapshot(users: Pick<UsersStore, 'findById'>, id: string) {
  const u = await users.findById(id);
  if (!u) throw new AppError('NOT_FOUND', 'no such user');
  return { reportedId: u.id, content: { displayName: u.display_name, role: u.role } };
}
