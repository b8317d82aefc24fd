import type { Notify } from '../notifications/notifications.service.js';
import { randomUUID } from 'node:crypto';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { EmailChangeConfirmation, MailSentResult } from '../../../../shared/auth.js';
import type { ErrorCode } from '../../../../shared/errors.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { ClientInfo, Principal } from '../../principal.js';
import { rateLimited } from '../../ratelimit.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { UserRow, UsersStore } from '../users/users.store.js';
import { accountMails } from './account-mails.js';
import type { AccountsStore, AccountTokenRow, TokenPurpose, TokenRefusal } from './accounts.store.js';
import type { AuthStore } from './auth.store.js';
import { deviceKey, deviceOf, placeOf } from './devices.js';
import { assertStrongPassword, type PasswordHasher } from './passwords.js';
import type { SessionEnder } from './sessions.js';
import { newRefreshToken as newSecret, hashRefreshToken as hashSecret } from './tokens.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

const ACCEPTED: MailSentResult = { accepted: true };

const REFUSAL: Record<TokenRefusal, [ErrorCode, string]> = {
  unknown: ['LINK_INVALID', 'this link is not valid'],
  used: ['LINK_USED', 'this link was used already'],
  expired: ['LINK_EXPIRED', 'this link has expired; ask for a new one'],
};

export interface AccountsDeps {
  db: Database;
  store: AccountsStore;
  sessionsStore: Pick<AuthStore, 'earlierLogins'>;
  users: UsersStore;
  passwords: PasswordHasher;
  sessions: SessionEnder;
  mail: MailService;
  audit: AuditService;
  /** Account mails asked for per address, and per client address, whatever the account: no mailbox is flooded. */
  mailsByEmail: RateLimiterAbstract;
  mailsByIp: RateLimiterAbstract;
  ttl: { emailTtlSeconds: number; resetTtlSeconds: number };
  /** Security events in the user's notifications too (mailed here already: the notice is not mailed twice). */
  notify?: Notify;
  /** Product analytics events, recorded after the commit (the analytics module's buffer). */
  events?: EventRecorder;
}

/**
 * What an account does through its mailbox: verify it, reset a forgotten
 * password, change the password or the address, and hear of logins from new
 * devices. Every answer that takes an email is the same whether an account
 * has it or not; the mail says the rest.
 */
export class AccountsService {
  constructor(private readonly d: AccountsDeps) {}

  private readonly link = (path: string, query?: Record<string, string>) => this.d.mail.link(path, query);

  /** After a sign-up: a verification link for a new account, a warning for an address that had one already. */
  async afterSignup(created: UserRow | undefined, email: string): Promise<void> {
    if (!created) return this.d.mail.send(`signup-taken:${randomUUID()}`, email, accountMails.signupTaken(this.link));
    await this.sendVerification(created);
  }

  async resendVerification(p: Principal): Promise<MailSentResult> {
    const row = await this.user(p.userId);
    await this.takeMailPoint(row.email, null);
    if (!row.email_verified_at) await this.sendVerification(row);
    return ACCEPTED;
  }

  async verifyEmail(token: string): Promise<{ verified: true }> {
    const t = await this.take(this.d.db, token, ['verify_email']);
    // A link to an address the account has left proves nothing about the current one.
    if (!(await this.d.users.markEmailVerified(t.user_id, t.email))) throw new AppError('LINK_INVALID', 'this link is for an address the account no longer uses');
    this.d.audit.record({ key: `email_verified:${t.user_id}:${t.email}`, actorId: t.user_id, action: 'auth.email_verified', ip: null });
    this.d.events?.record('verification', t.user_id);
    return { verified: true };
  }

  /** The same work and answer for a known and an unknown address: one look-up, one mail (what it says differs). */
  async requestPasswordReset(email: string, client: ClientInfo): Promise<MailSentResult> {
    await this.takeMailPoint(email, client.ip);
    const row = await this.d.users.findByEmail(email);
    if (!row) {
      await this.d.mail.send(`reset-unknown:${randomUUID()}`, email, accountMails.resetUnknown());
      return ACCEPTED;
    }
    const secret = newSecret();
    await this.d.store.insertToken({ hash: secret.hash, userId: row.id, purpose: 'reset_password', email, ttlSeconds: this.d.ttl.resetTtlSeconds });
    await this.d.mail.send(`reset:${secret.hash}`, email, accountMails.reset(this.link, secret.token, Math.round(this.d.ttl.resetTtlSeconds / 60)));
    return ACCEPTED;
  }

  /**
   * A new password through a reset link: every session ends (tokens refused
   * and sockets closed on every node), older reset links die, and the
   * address counts as verified (the link reached it). A weak password
   * leaves the link unspent.
   */
  async resetPassword(token: string, password: string, client: ClientInfo): Promise<void> {
    const userId = await this.d.db.transaction(async (q) => {
      const t = await this.take(q, token, ['reset_password']);
      const row = await this.user(t.user_id, q);
      assertStrongPassword(password, row.email);
      await this.d.users.setPasswordHash(row.id, await this.d.passwords.hash(password), q);
      await this.d.store.spendTokensOf(row.id, ['reset_password'], q);
      await this.d.users.markEmailVerified(row.id, t.email, q);
      return row.id;
    });
    const ended = await this.d.sessions.endAllOf(userId, 'password_reset');
    this.d.audit.record({ key: `password_reset:${hashSecret(token)}`, actorId: userId, action: 'auth.password_reset', ip: client.ip, meta: { sessionsEnded: ended } });
  }

  /** A new password, knowing the current one: the caller stays logged in, every other session ends. */
  async changePassword(p: Principal, current: string, next: string, client: ClientInfo): Promise<{ sessionsEnded: number }> {
    const row = await this.user(p.userId);
    if (!(await this.d.passwords.verify(row.password_hash, current))) throw new AppError('INVALID_CREDENTIALS', 'the current password is wrong');
    assertStrongPassword(next, row.email);
    await this.d.users.setPasswordHash(row.id, await this.d.passwords.hash(next));
    const sessionsEnded = await this.d.sessions.endAllOf(row.id, 'password_changed', { keep: p.sessionId });
    this.d.audit.record({ key: `password_changed:${randomUUID()}`, actorId: row.id, action: 'auth.password_changed', ip: client.ip, meta: { sessionsEnded } });
    await this.d.mail.send(`password-changed:${randomUUID()}`, row.email, accountMails.passwordChanged(this.link));
    this.d.notify?.notifyLater(row.id, { kind: 'security', subject: 'password', payload: { detail: 'your password was changed', link: '/settings' }, mailed: true });
    return { sessionsEnded };
  }

  /**
   * Asks to move the account to `newEmail`: a confirm link to the new address
   * and a confirm/cancel link to the current one. Nothing changes until both
   * confirmed. A new address taken by another account is answered the same
   * (EMAIL_TAKEN comes only at the last confirmation, to the account's owner).
   */
  async requestEmailChange(p: Principal, newEmail: string, password: string, client: ClientInfo): Promise<MailSentResult> {
    const row = await this.user(p.userId);
    if (!(await this.d.passwords.verify(row.password_hash, password))) throw new AppError('INVALID_CREDENTIALS', 'the password is wrong');
    if (newEmail === row.email) throw new AppError('VALIDATION_FAILED', 'that is the address the account already has');
    await this.takeMailPoint(row.email, client.ip);
    const [toNew, toOld] = [newSecret(), newSecret()];
    const ttlSeconds = this.d.ttl.emailTtlSeconds;
    await this.d.db.transaction(async (q) => {
      const emailChangeId = await this.d.store.openEmailChange(row.id, newEmail, q);
      await this.d.store.insertToken({ hash: toNew.hash, userId: row.id, purpose: 'email_change_new', email: newEmail, ttlSeconds, emailChangeId }, q);
      await this.d.store.insertToken({ hash: toOld.hash, userId: row.id, purpose: 'email_change_old', email: row.email, ttlSeconds, emailChangeId }, q);
    });
    const hours = Math.round(ttlSeconds / 3600);
    await this.d.mail.send(`email-change:${toNew.hash}`, newEmail, accountMails.emailChangeNew(this.link, toNew.token, hours));
    await this.d.mail.send(`email-change:${toOld.hash}`, row.email, accountMails.emailChangeOld(this.link, toOld.token, newEmail, hours));
    return ACCEPTED;
  }

  /** One address's confirmation; the second one moves the account (and the new address counts as verified). */
  async confirmEmailChange(token: string, client: ClientInfo): Promise<EmailChangeConfirmation> {
    const result = await this.d.db.transaction(async (q) => {
      const t = await this.take(q, token, ['email_change_new', 'email_change_old']);
      const change = await this.d.store.confirmEmailChange(t.email_change_id!, t.purpose === 'email_change_new' ? 'new' : 'old', q);
      if (!change) throw new AppError('LINK_INVALID', 'this change of address was cancelled or replaced by a newer one');
      if (!change.new_confirmed_at || !change.old_confirmed_at) return { state: 'waiting_for_other_address' as const, userId: t.user_id };
      if (!(await this.d.users.changeEmail(change.user_id, change.new_email, q))) throw new AppError('EMAIL_TAKEN', 'another account took that address meanwhile');
      await this.d.store.completeEmailChange(change.id, q);
      return { state: 'changed' as const, userId: t.user_id, from: t.purpose === 'email_change_old' ? t.email : undefined, to: change.new_email };
    });
    if (result.state === 'changed') {
      this.d.audit.record({ key: `email_changed:${hashSecret(token)}`, actorId: result.userId, action: 'auth.email_changed', ip: client.ip, meta: { to: result.to } });
    }
    return { state: result.state };
  }

  /** The old address's "this was not me": the change is dropped, both links die. */
  async cancelEmailChange(token: string): Promise<void> {
    await this.d.db.transaction(async (q) => {
      const t = await this.take(q, token, ['email_change_old']);
      if (!(await this.d.store.cancelEmailChange(t.email_change_id!, q))) throw new AppError('LINK_INVALID', 'this change of address is over already');
    });
  }

  /** After a login: a notice by mail when this device and network were never seen for the account (not for its first login). */
  async noticeLogin(row: UserRow, sessionId: string, client: ClientInfo): Promise<void> {
    const earlier = await this.d.sessionsStore.earlierLogins(row.id, sessionId);
    if (earlier.length === 0) return;
    const key = deviceKey(client.userAgent, client.ip);
    if (earlier.some((s) => deviceKey(s.user_agent, s.ip) === key)) return;
    await this.d.mail.send(`new-device:${sessionId}`, row.email, accountMails.newDevice(this.link, deviceOf(client.userAgent), placeOf(client.ip)));
    this.d.notify?.notifyLater(row.id, {
      kind: 'security',
      subject: `login:${sessionId}`,
      payload: { detail: `a sign-in from a new device (${deviceOf(client.userAgent)}, ${placeOf(client.ip)})`, link: '/settings' },
      mailed: true,
    });
  }

  /** The proof an OpenID sign-in needs before it joins an account that has its address: a single-use link to that address. */
  async mailIdentityLink(row: UserRow, provider: string, token: string, ttlSeconds: number, client: ClientInfo): Promise<void> {
    await this.takeMailPoint(row.email, client.ip);
    await this.d.mail.send(`identity-link:${hashSecret(token)}`, row.email, accountMails.linkIdentity(this.link, token, provider, Math.round(ttlSeconds / 60)));
  }

  private async sendVerification(row: UserRow): Promise<void> {
    const secret = newSecret();
    const ttlSeconds = this.d.ttl.emailTtlSeconds;
    await this.d.store.insertToken({ hash: secret.hash, userId: row.id, purpose: 'verify_email', email: row.email, ttlSeconds });
    await this.d.mail.send(`verify:${secret.hash}`, row.email, accountMails.verify(this.link, secret.token, Math.round(ttlSeconds / 3600)));
  }

  private async take(q: Queryable, token: string, purposes: TokenPurpose[]): Promise<AccountTokenRow> {
    const t = await this.d.store.takeToken(hashSecret(token), purposes, q);
    if (typeof t === 'string') throw new AppError(...REFUSAL[t]);
    return t;
  }

  private async user(id: string, q?: Queryable): Promise<UserRow> {
    const row = await this.d.users.findById(id, q);
    if (!row) throw new AppError('NOT_FOUND', 'no such user');
    return row;
  }

  private async takeMailPoint(email: string, ip: string | null): Promise<void> {
    const taken = [this.d.mailsByEmail.consume(email), ...(ip ? [this.d.mailsByIp.consume(ip)] : [])];
    await Promise.all(taken).catch((err: unknown) => {
      throw rateLimited(err, 'too many mails asked for; try again later');
    });
  }
}
