import type { Role } from '../../../../shared/auth.js';
import type { AdminUserDetail, UserHistory } from '../../../../shared/reports.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import { toAdminTransferView } from '../ledger/ledger.view.js';
import type { UsersStore } from '../users/users.store.js';
import type { ReportsService } from './reports.service.js';
import type { ReportsStore } from './reports.store.js';
import { toReportView, toUserHistory } from './reports.views.js';

const RECENT = 20;

/** Admin user management: search, one user's page, and role changes (an admin with 2FA on, never on oneself). */
export class AdminUsersService {
  constructor(
    private readonly d: {
      db: Database;
      users: Pick<UsersStore, 'search' | 'findById' | 'setRole'>;
      auth: Pick<AuthService, 'sessionsOf' | 'revokeUserSessions'>;
      ledger: Pick<LedgerService, 'balance' | 'searchTransfers'>;
      reports: Pick<ReportsService, 'histories'>;
      store: Pick<ReportsStore, 'against' | 'byReporter'>;
      audit: Pick<AuditService, 'recordIn'>;
    },
  ) {}

  /** Cursor: the last row's `created_at|id`, so a page never repeats or skips a user who signs up meanwhile. */
  async search(q: string, cursor: string | undefined, limit: number): Promise<{ users: UserHistory[]; nextCursor: string | null }> {
    const rows = await this.d.users.search({ q, after: decodeCursor(cursor), limit });
    const histories = await this.d.reports.histories(rows.map((r) => r.id));
    const users = rows.map((r) => histories.get(r.id) ?? toUserHistory(r, 0, []));
    const last = rows.at(-1);
    return { users, nextCursor: rows.length === limit && last ? `${last.created_at.toISOString()}|${last.id}` : null };
  }

  async detail(userId: string): Promise<AdminUserDetail> {
    const user = (await this.d.reports.histories([userId])).get(userId);
    if (!user) throw new AppError('NOT_FOUND', 'no such user');
    const [sessions, wallet, transfers, against, by] = await Promise.all([
      this.d.auth.sessionsOf(userId),
      this.d.ledger.balance(userId),
      this.d.ledger.searchTransfers({ userId, beforeId: null, limit: RECENT }),
      this.d.store.against(userId, RECENT),
      this.d.store.byReporter(userId, null, RECENT),
    ]);
    return { user, sessions, wallet, transfers: transfers.map(toAdminTransferView), reportsAgainst: against.map(toReportView), reportsBy: by.map(toReportView) };
  }

  /**
   * An admin (whose session proved two-factor sign-in, as every admin route asks) changes a role, never
   * their own; the CLI is the other way. The user's sessions end, so no token carries the old role past this moment.
   */
  async setRole(adminId: string, userId: string, role: Role, ip: string | null): Promise<{ user: UserHistory }> {
    if (adminId === userId) throw new AppError('SELF_ACTION_REFUSED', 'you cannot change your own role');
    await changeRole(this.d, { actorId: adminId, userId, role, ip, via: 'admin' });
    await this.d.auth.revokeUserSessions(userId);
    return { user: (await this.d.reports.histories([userId])).get(userId)! };
  }
}

/** The one path of a role change, for the admin route and the `roles` CLI: the change and its audit entry commit together. */
export async function changeRole(
  d: { db: Database; users: Pick<UsersStore, 'findById' | 'setRole'>; audit: Pick<AuditService, 'recordIn'> },
  c: { actorId: string | null; userId: string; role: Role; ip: string | null; via: 'admin' | 'cli' },
): Promise<{ from: Role; to: Role }> {
  return d.db.transaction(async (tx) => {
    const before = await d.users.findById(c.userId, tx);
    if (!before) throw new AppError('NOT_FOUND', 'no such user');
    if (before.status === 'deleted') throw new AppError('ACCOUNT_DELETED', 'its owner deleted this account: its role no longer changes');
    await d.users.setRole(tx, c.userId, c.role);
    await d.audit.recordIn(tx, {
      key: `role:${c.userId}:${Date.now()}:${before.role}:${c.role}`,
      actorId: c.actorId,
      action: 'admin.role_changed',
      ip: c.ip,
      meta: { userId: c.userId, from: before.role, to: c.role, via: c.via },
    });
    return { from: before.role, to: c.role };
  });
}

function decodeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = cursor.split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(createdAt.getTime())) throw new AppError('VALIDATION_FAILED', 'the cursor is not valid');
  return { createdAt, id };
}
