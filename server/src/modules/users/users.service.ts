import type { PublicUser } from '../../../../shared/auth.js';
import { AppError } from '../../errors.js';
import type { Realtime } from '../../realtime/realtime.js';
import { toPublicUser, type UsersStore } from './users.store.js';

export class UsersService {
  constructor(
    private readonly users: UsersStore,
    private readonly realtime: Realtime,
  ) {}

  async me(userId: string): Promise<PublicUser> {
    const row = await this.users.findById(userId);
    if (!row) throw new AppError('NOT_FOUND', 'user not found');
    return toPublicUser(row);
  }

  /** Updates the caller's own account and tells all their devices, wherever they are connected. */
  async updateMe(userId: string, patch: { displayName?: string; messagePrice?: number; callPricePerMinute?: number }): Promise<PublicUser> {
    if (patch.messagePrice !== undefined || patch.callPricePerMinute !== undefined) {
      const me = await this.users.findById(userId);
      if (me?.role !== 'creator') throw new AppError('FORBIDDEN', 'only creators set prices');
    }
    const row = await this.users.update(userId, patch);
    if (!row) throw new AppError('NOT_FOUND', 'user not found');
    const user = toPublicUser(row);
    this.realtime.toUser(userId, 'me:updated', { user });
    return user;
  }
}
