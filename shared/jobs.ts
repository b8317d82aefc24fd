/**
 * Background jobs: names and payloads. The same handlers run under BullMQ
 * (cluster, `workers/`) and under the in-process runner (embedded). Job ids
 * are deterministic so a retried enqueue never runs the work twice.
 */
export interface JobPayloads {
  'audit.record': {
    /** Unique cause of the entry; also the job id and the table's unique key. */
    key: string;
    actorId: string | null;
    action:
      | 'auth.signup'
      | 'auth.login'
      | 'auth.login_failed'
      | 'auth.logout'
      | 'auth.token_reused'
      | 'auth.session_revoked'
      | 'auth.email_verified'
      | 'auth.identity_linked'
      | 'auth.identity_unlinked'
      | 'auth.password_reset'
      | 'auth.password_changed'
      | 'auth.email_changed'
      | 'auth.login_confirmed'
      | 'admin.risk_payment_approved'
      | 'admin.risk_login_released'
      | 'admin.risk_payment_rejected'
      | 'admin.created'
      | 'admin.adjustment'
      | 'admin.dead_letter_retry'
      | 'payments.checkout'
      | 'users.price_changed'
      | 'admin.media_moderation'
      | 'verification.submitted'
      | 'admin.verification_approved'
      | 'admin.verification_rejected'
      | 'auth.2fa_enabled'
      | 'auth.2fa_disabled'
      | 'auth.2fa_recovery_code_used'
      | 'auth.2fa_failed'
      | 'auth.2fa_step_up'
      | 'payouts.requested'
      | 'payouts.cancelled'
      | 'payouts.status_changed'
      | 'admin.payout_approved'
      | 'admin.payout_rejected'
      | 'admin.payout_recalled'
      | 'admin.decision'
      | 'admin.appeal_decided'
      | 'admin.role_changed'
      | 'reports.appealed'
      | 'admin.moderation_decision'
      | 'account.deletion_requested'
      | 'account.erased'
      | 'account.export_requested'
      | 'admin.analytics_rollup';
    ip: string | null;
    at: string;
    meta?: Record<string, unknown>;
  };
  /** Voids holds past their expiry (scheduled). */
  'ledger.expire-holds': Record<string, never>;
  /** Processes one stored provider webhook event (job id `pay:<provider>:<eventId>`). */
  'payments.process-event': { provider: 'stripe' | 'razorpay' | 'sandbox'; eventId: string };
  /** Enqueues again stored provider events still pending after a minute: their job was lost (scheduled). */
  'payments.requeue-stale': Record<string, never>;
  /** Compares payments, the providers' records and the ledger (scheduled, or run by an admin). */
  'payments.reconcile': { sinceHours?: number };
  /** Ends a call still ringing after CALL_RING_SECONDS (job id `call:<id>:ring`). */
  'calls.ring-timeout': { callId: string };
  /** Posts minute n of a call and holds minute n+1, or ends it (job id `call:<id>:tick:<n>`). */
  'calls.tick': { callId: string; minute: number };
  /** Ends active calls whose Janus died or lost their room (scheduled every CALL_MEDIA_SWEEP_SECONDS when an SFU is set). */
  'calls.media-sweep': Record<string, never>;
  /** Retries destroying an SFU room its Janus did not answer for (job id `sfu:destroy:<instance>:<room>`). */
  'sfu.destroy-room': { instance: string; roomId: number };
  /** Checks, processes and moderates one confirmed upload (job id `media:<id>`); skips it unless it is still pending. */
  'media.process': { mediaId: string };
  /** Removes expired unconfirmed uploads (and their multipart uploads), finishes interrupted deletions, re-queues lost processing (scheduled). */
  'media.sweep': Record<string, never>;
  /** Renews subscriptions whose period has ended, retries those in grace, expires the rest (scheduled every CREATOR_RENEW_SECONDS). */
  'creators.renew': Record<string, never>;
  /** Walks the hash chains and re-adds every balance (scheduled); records the result. */
  'ledger.verify': Record<string, never>;
  /** Deletes dead letters retried more than DEAD_LETTER_RETENTION_DAYS ago (scheduled); open ones stay until handled. */
  'dead-letters.prune': Record<string, never>;
  /** Writes a published post into its creator's audience's feeds, batch by batch (job id `post:<id>:fanout`, delayed to the publishing time). */
  'posts.fan-out': { postId: string };
  /** Re-queues fan-outs not finished five minutes after their post was due: their job was lost (scheduled). */
  'posts.fanout-sweep': Record<string, never>;
  /** Delivers a mass message batch by batch from where it got to (job id `mass:<id>:deliver`, delayed to its sending time). */
  'mass-messages.deliver': { massMessageId: string };
  /** Re-queues due mass messages untouched for MASS_MESSAGE_SWEEP_SECONDS: their job was lost (scheduled). */
  'mass-messages.sweep': Record<string, never>;
  /** Sends one approved payout to its provider (job id `payout:<id>:send`); idempotent on the payout id, at Pairly and at the provider. */
  'payouts.send': { payoutId: string };
  /** Re-queues approved payouts whose send was lost, and requests the automatic payouts that are due (scheduled). */
  'payouts.sweep': Record<string, never>;
  /** Anonymises one deleted account (job id `erase:<userId>`, delayed ACCOUNT_ERASE_DELAY_HOURS); idempotent. */
  'account.erase': { userId: string };
  /** Builds one data export and mails its owner (job id `export:<id>`); skips it once built. */
  'account.export': { exportId: string };
  /** Enqueues erasures whose delay is over and exports not built after a minute (their jobs were lost), drops expired exports (scheduled). */
  'account.sweep': Record<string, never>;
  /** Sends one mail through SMTP_URL, or writes it to the local outbox (job id `mail:<key>`). */
  'mail.send': { key: string; to: string; subject: string; text: string; html: string };
  /** Mails each user offline for NOTIFY_DIGEST_AFTER_SECONDS one digest of their unread, unmailed notifications (scheduled every NOTIFY_DIGEST_SECONDS). */
  'notifications.digest': Record<string, never>;
  /** Sends one notification (as it was at `count` collapsed events) to its user's browsers by web push (job id `push:<id>:<count>`). */
  'notifications.push': { notificationId: string; count: number };
  /** Rolls one UTC day up into analytics_daily (an admin's request, job id `analytics:<day>:<request>`), or without a day the recent ones (scheduled hourly); a day's rows are replaced. */
  'analytics.rollup': { day?: string };
}

export type JobName = keyof JobPayloads;

export const JOB_NAMES = [
  'audit.record',
  'ledger.expire-holds',
  'ledger.verify',
  'payments.process-event',
  'payments.reconcile',
  'payments.requeue-stale',
  'calls.ring-timeout',
  'calls.tick',
  'calls.media-sweep',
  'sfu.destroy-room',
  'media.process',
  'media.sweep',
  'dead-letters.prune',
  'creators.renew',
  'posts.fan-out',
  'posts.fanout-sweep',
  'mass-messages.deliver',
  'mass-messages.sweep',
  'payouts.send',
  'payouts.sweep',
  'mail.send',
  'account.erase',
  'account.export',
  'account.sweep',
  'notifications.digest',
  'notifications.push',
  'analytics.rollup',
] as const satisfies readonly JobName[];

export function isJobName(value: string): value is JobName {
  return (JOB_NAMES as readonly string[]).includes(value);
}
