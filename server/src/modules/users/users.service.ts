import { randomUUID } from 'node:crypto';
import type { PublicUser } from '../../../../shared/auth.js';
import { AppError } from '../../errors.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { AuditService } from '../audit/audit.service.js';
import { toPublicUser, type UsersStore } from './users.store.js';

export class UsersService {
  constructor(
    private readonly users: UsersStore,
    private readonly realtime: Realtime,
    private readonly audit: Pick<AuditService, 'record'>,
    /** Refuses a creator who may not sell yet (verification's hook, bound late): VERIFICATION_REQUIRED. */
    private readonly paidContent?: (creatorId: string) => Promise<void>,
  ) {}

  async me(userId: string): Promise<PublicUser> {
    const row = await this.users.findById(userId);
    if (!row) throw new AppError('NOT_FOUND', 'user not found');
    return toPublicUser(row);
  }

  /**
   * Updates the caller's own account and tells all their devices, wherever they are connected.
   * A price change is audited with its old and new values: what fans were charged can be traced to it.
   */
  async updateMe(userId: string, patch: { displayName?: string; messagePrice?: number; callPricePerMinute?: number }, ip: string | null = null): Promise<PublicUser> {
    if (patch.messagePrice !== undefined || patch.callPricePerMinute !== undefined) {
      const me = await this.users.findById(userId);
      if (me?.role !== 'creator') throw new AppError('FORBIDDEN', 'only creators set prices');
      if ((patch.messagePrice ?? 0) > 0 || (patch.callPricePerMinute ?? 0) > 0) await this.paidContent?.(userId);
    }
    const row = await this.users.update(userId, patch);
    if (!row) throw new AppError('NOT_FOUND', 'user not found');
    const changed: Record<string, { old: number; new: number }> = {};
    if (row.old_message_price !== row.message_price) changed.messagePrice = { old: row.old_message_price, new: row.message_price };
    if (row.old_call_price_per_minute !== row.call_price_per_minute) changed.callPricePerMinute = { old: row.old_call_price_per_minute, new: row.call_price_per_minute };
    if (Object.keys(changed).length > 0) {
      this.audit.record({ key: `price:${userId}:${randomUUID()}`, actorId: userId, action: 'users.price_changed', ip, meta: changed });
    }
    const user = toPublicUser(row);
    this.realtime.toUser(userId, 'me:updated', { user });
    return user;
  }
}
