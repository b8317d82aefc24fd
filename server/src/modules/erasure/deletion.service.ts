import type { AccountDeletion, DeleteMeBody } from '../../../../shared/erasure.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { SubscriptionsService } from '../creators/subscriptions.service.js';
import type { MediaService } from '../media/media.service.js';
import type { NotificationService } from '../notifications/notifications.service.js';
import type { ProfilesService } from '../profiles/profiles.service.js';
import type { RiskService } from '../risk/risk.service.js';
import type { UsersStore } from '../users/users.store.js';

/** Accounts the sweep re-queues per run; the rest wait for the next. */
const SWEEP_BATCH = 500;

/** How often account.sweep runs: an erasure or export whose job was lost waits at most this long more. */
export const SWEEP_EVERY_MS = 15 * 60_000;

/** A job id of the sweep's own per run: the lost job's id may still be held by BullMQ as completed or failed. */
export const sweepJobId = (base: string) => `${base}:sweep:${Math.floor(Date.now() / SWEEP_EVERY_MS)}`;

/**
 * Account deletion (#18). DELETE /api/me closes the account at once: it is gone to everyone (status
 * 'deleted', which every list and page already leaves out), its login refused like an unknown address,
 * every session ended. There is no cancel: the owner proved it with their password (and second factor),
 * and a closed account cannot sign in to take it back. After ACCOUNT_ERASE_DELAY_HOURS (time for support
 * to stop a mistake or an abuse), `account.erase` anonymises what is left.
 *
 * What the erase keeps: the users row, anonymised (ledger accounts, matches and messages point at it);
 * ledger transfers and the wallet, untouched (money is never deleted; they name only the id); the
 * account's messages, which stay in the peer's conversation and now read as from "Deleted user" (the
 * conversation is the peer's too); its analytics events, under the id that now names only the anonymised
 * row (deleting them would rewrite past days' figures; README, Analytics). What goes: email, name, password, date of birth (its year stays),
 * profile, pictures, answers, swipes, every media file, the second factor, the sign-in history risk scoring kept
 * (addresses and devices), notifications, their preferences and push subscriptions. A creator's subscriptions
 * stop, the current period refunded, as for a ban.
 */
export class DeletionService {
  constructor(
    private readonly d: {
      users: Pick<UsersStore, 'findById' | 'markDeleted' | 'anonymise' | 'dueForErasure'>;
      auth: Pick<AuthService, 'closeAccount' | 'forgetSecondFactor'>;
      risk: Pick<RiskService, 'forget'>;
      notify: Pick<NotificationService, 'forget'>;
      profiles: Pick<ProfilesService, 'erase'>;
      media: Pick<MediaService, 'deleteAllOf'>;
      subscriptions: Pick<SubscriptionsService, 'stopForBan'>;
      audit: Pick<AuditService, 'record'>;
      jobs: Pick<JobQueue, 'enqueue'>;
      logger: Logger;
      eraseDelayHours: number;
    },
  ) {}

  async request(userId: string, proof: DeleteMeBody, ip: string | null): Promise<AccountDeletion> {
    let deletedAt = new Date();
    await this.d.auth.closeAccount(userId, proof, async () => {
      deletedAt = (await this.d.users.markDeleted(userId)) ?? deletedAt;
    });
    this.d.audit.record({ key: `account_deleted:${userId}`, actorId: userId, action: 'account.deletion_requested', ip });
    const eraseAt = new Date(deletedAt.getTime() + this.delayMs);
    await this.d.jobs.enqueue('account.erase', { userId }, { jobId: `erase:${userId}`, delayMs: Math.max(0, eraseAt.getTime() - Date.now()) });
    return { eraseAfter: eraseAt.toISOString() };
  }

  /**
   * The job. Idempotent: each step finds nothing left the second time, and the row is anonymised last,
   * so a run that failed halfway is finished by its retry (or by the sweep, which finds it still due).
   */
  async erase(userId: string): Promise<void> {
    const row = await this.d.users.findById(userId);
    if (row?.status !== 'deleted') return;
    if (row.role === 'creator') await this.d.subscriptions.stopForBan(userId);
    await this.d.profiles.erase(userId);
    const files = await this.d.media.deleteAllOf(userId);
    await this.d.auth.forgetSecondFactor(userId);
    await this.d.risk.forget(userId);
    await this.d.notify.forget(userId);
    if (await this.d.users.anonymise(userId)) {
      this.d.audit.record({ key: `account_erased:${userId}`, actorId: null, action: 'account.erased', ip: null, meta: { userId, files } });
    }
  }

  /** Repairs lost erase jobs: every deleted account past its delay and not anonymised yet is queued again. */
  async sweep(): Promise<number> {
    const due = await this.d.users.dueForErasure(new Date(Date.now() - this.delayMs), SWEEP_BATCH);
    for (const userId of due) await this.d.jobs.enqueue('account.erase', { userId }, { jobId: sweepJobId(`erase:${userId}`) });
    if (due.length) this.d.logger.info({ count: due.length }, 'erasure: re-queued due erasures');
    return due.length;
  }

  private get delayMs(): number {
    return this.d.eraseDelayHours * 3_600_000;
  }
}
