import { createHash, randomBytes } from 'node:crypto';
import { describeUserAgent } from '../../../../shared/devices.js';
import type { LoginRiskReason, PaymentRiskReason, RiskLoginView, RiskPaymentView } from '../../../../shared/risk.js';
import type { z } from 'zod';
import type { riskLoginsQuery, riskPaymentsQuery } from '../../../../shared/risk.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ClientInfo } from '../../principal.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { UsersStore } from '../users/users.store.js';
import type { GeoLocator } from './geo.js';
import { loginAction, paymentAction, scoreLogin, scorePayment, type LoginRules, type PaymentAction, type PaymentRules } from './risk.rules.js';
import type { RiskLoginRow, RiskPaymentRow, RiskStore } from './risk.store.js';

export interface RiskOptions {
  login: LoginRules & { stepUpScore: number; holdScore: number; failureWindowSeconds: number; confirmTtlSeconds: number };
  payment: PaymentRules & { holdScore: number; refuseScore: number };
}

/** Payments' side of a held payment (bound late: payments is built on risk). */
export interface PaymentHolds {
  /** In the caller's transaction: approved grants the credits (once, whatever happened meanwhile), rejected never does. Returns the wallets changed. */
  decideHold(tx: Queryable, paymentId: string, decision: 'approved' | 'rejected'): Promise<string[]>;
  /** After the commit: tells the owners of those wallets. */
  walletsChanged(userIds: string[]): void;
}

/** What payments knows of a checkout and its payer, for scoring. */
export interface CheckoutFacts {
  userId: string;
  provider: string;
  packId: string;
  credits: number;
  amountMinor: number;
  currency: string;
  checkoutsLastHour: number;
  checkoutsLastDay: number;
  refunds: number;
  chargebacks: number;
  providers: number;
}

export interface PaymentAssessment {
  score: number;
  reasons: PaymentRiskReason[];
  action: Exclude<PaymentAction, 'refuse'>;
}

/** How long a mailed step-up stands for itself: another sign-in meanwhile from the same device and address sends no second mail. */
const CONFIRMATION_RESEND_SECONDS = 600;
/** A second factor's challenge lives five minutes (auth/tokens.ts); a little more for the clock of the request. */
const SECOND_FACTOR_WINDOW_SECONDS = 360;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Login and payment risk. A sign-in is scored against the account's earlier
 * ones (device, country, travel speed, failed passwords); a checkout against
 * the payer's purchases (velocity, account age and pack size, refunds and
 * chargebacks, providers). Each score is stored with its reasons; above the
 * thresholds a sign-in steps up (a second factor, else a mailed link) or is
 * held, a checkout is held for an admin or refused.
 */
export class RiskService {
  constructor(
    private readonly d: {
      db: Database;
      store: RiskStore;
      geo: GeoLocator;
      users: Pick<UsersStore, 'findById' | 'summaries'>;
      mail: Pick<MailService, 'send' | 'link'>;
      audit: AuditService;
      logger: Logger;
      options: RiskOptions;
      holds: () => PaymentHolds;
    },
  ) {}

  /** Account erasure: the sign-in history (addresses, devices, places) goes with the account. */
  async forget(userId: string): Promise<void> {
    await this.d.store.forget(userId);
  }

  /**
   * Scores a sign-in whose first factor was proved, before a session opens.
   * Throws LOGIN_HELD above the hold threshold; above the step-up threshold
   * an account without a second factor gets a mailed link and
   * LOGIN_CONFIRMATION_REQUIRED (the sign-in again, from the same device and
   * address, goes through once the link is opened); one with a second factor
   * goes on to it as always.
   */
  async assessLogin(user: { id: string; email: string }, client: ClientInfo, o: { twoFactor: boolean }): Promise<void> {
    const device = describeUserAgent(client.userAgent);
    // Confirmed by the mailed link, or released by an admin: this sign-in from that device and address passes
    // (an account with a second factor still gives it: only a release stands in for the hold, not for the code).
    if (await this.d.store.takeConfirmed(user.id, device, client.ip, o.twoFactor ? ['held'] : ['email_confirmation', 'held'])) return;
    const rules = this.d.options.login;
    const [place, history] = await Promise.all([this.d.geo.place(client.ip), this.d.store.loginHistory(user.id, rules.failureWindowSeconds)]);
    const last = history.last && {
      at: history.last.at,
      place: history.last.country !== null && history.last.lat !== null && history.last.lon !== null ? { country: history.last.country, lat: history.last.lat, lon: history.last.lon } : null,
    };
    const v = scoreLogin({ now: new Date(), place, device, passed: history, last, recentFailures: history.failures }, rules);
    const action = loginAction(v.score, { stepUp: rules.stepUpScore, hold: rules.holdScore });
    const row = { userId: user.id, ip: client.ip, device, place, score: v.score, reasons: v.reasons };

    if (action === 'hold') {
      await this.d.store.insertLogin({ ...row, outcome: 'held', passed: false });
      throw new AppError('LOGIN_HELD', 'this sign-in looks unusual and was held for review; contact support', { details: { reasons: v.reasons } });
    }
    if (o.twoFactor) {
      await this.d.store.insertLogin({ ...row, outcome: 'two_factor', passed: false });
      return;
    }
    if (action === 'step_up') {
      const refusal = new AppError('LOGIN_CONFIRMATION_REQUIRED', 'we sent a link to your email address: open it to confirm this sign-in, then sign in again', { details: { reasons: v.reasons } });
      if (await this.d.store.pendingConfirmation(user.id, device, client.ip, CONFIRMATION_RESEND_SECONDS)) throw refusal;
      const token = randomBytes(32).toString('base64url');
      const hash = hashToken(token);
      await this.d.store.insertLogin({ ...row, outcome: 'email_confirmation', passed: false, confirm: { hash, ttlSeconds: rules.confirmTtlSeconds } });
      await this.d.mail.send(`login-confirm:${hash}`, user.email, loginConfirmationMail(this.d.mail.link('/confirm-login', { token }), device, place?.country ?? null, Math.round(rules.confirmTtlSeconds / 60)));
      throw refusal;
    }
    await this.d.store.insertLogin({ ...row, outcome: 'allowed', passed: true });
  }

  /** A sign-in that stopped at the second factor passed it. */
  passedSecondFactor(userId: string): Promise<void> {
    return this.d.store.passSecondFactor(userId, SECOND_FACTOR_WINDOW_SECONDS);
  }

  /** A wrong password for a known account, counted by recent_failures: written off the request's path (never throws). */
  loginFailed(userId: string, client: ClientInfo): void {
    this.d.store
      .insertLogin({ userId, ip: client.ip, device: describeUserAgent(client.userAgent), place: null, score: 0, reasons: [], outcome: 'failed', passed: false })
      .catch((err: unknown) => this.d.logger.warn({ err, userId }, 'could not record a failed sign-in'));
  }

  /** The mailed link of a step-up: the sign-in again from that device and address goes through. */
  async confirmLogin(token: string, client: ClientInfo): Promise<{ confirmed: true }> {
    const r = await this.d.store.confirm(hashToken(token));
    if (r === 'unknown') throw new AppError('LINK_INVALID', 'this link is not valid');
    if (r === 'used') throw new AppError('LINK_USED', 'this link was used already');
    if (r === 'expired') throw new AppError('LINK_EXPIRED', 'this link has expired; sign in again for a new one');
    this.d.audit.record({ key: `login_confirmed:${r.id}`, actorId: r.user_id, action: 'auth.login_confirmed', ip: client.ip, meta: { riskLoginId: r.id } });
    return { confirmed: true };
  }

  /**
   * An admin's review of a held sign-in found it to be the account's owner: the same sign-in again (same
   * device and address) goes through once within `confirmTtlSeconds`; the owner is told by mail. Audited.
   */
  async releaseLogin(adminId: string, id: string, note: string, ip: string | null): Promise<RiskLoginView> {
    const row = await this.d.store.release(id, this.d.options.login.confirmTtlSeconds);
    if (!row) throw new AppError('RISK_ALREADY_DECIDED', 'this sign-in is not held, or was released already');
    this.d.audit.record({ key: `risk_login_released:${id}`, actorId: adminId, action: 'admin.risk_login_released', ip, meta: { riskLoginId: id, userId: row.user_id, note } });
    const user = await this.d.users.findById(row.user_id);
    if (user) {
      await this.d.mail.send(`login-released:${id}`, user.email, loginReleasedMail(row.device, row.country, Math.round(this.d.options.login.confirmTtlSeconds / 60)));
    }
    return toLoginView(row, user?.display_name ?? null);
  }

  /**
   * Scores a checkout before its payment opens. Refused: stored, then
   * PAYMENT_RISK_REFUSED. Otherwise the caller opens the payment (held or
   * not, as the answer says) and records it with `recordPayment`.
   */
  async assessPayment(f: CheckoutFacts): Promise<PaymentAssessment> {
    const rules = this.d.options.payment;
    const user = await this.d.users.findById(f.userId);
    if (!user) throw new AppError('NOT_FOUND', 'no such user');
    const accountAgeHours = (Date.now() - user.created_at.getTime()) / 3_600_000;
    const v = scorePayment({ ...f, accountAgeHours }, rules);
    const action = paymentAction(v.score, { hold: rules.holdScore, refuse: rules.refuseScore });
    if (action === 'refuse') {
      await this.d.store.insertPayment({ ...f, paymentId: null, score: v.score, reasons: v.reasons, decision: 'refused' });
      throw new AppError('PAYMENT_RISK_REFUSED', 'this purchase cannot be made now; contact support if you think this is a mistake');
    }
    return { ...v, action };
  }

  async recordPayment(paymentId: string, f: CheckoutFacts, a: PaymentAssessment): Promise<void> {
    await this.d.store.insertPayment({ ...f, paymentId, score: a.score, reasons: a.reasons, decision: a.action === 'hold' ? 'held' : 'allowed' });
  }

  /**
   * An admin's decision on a held payment, audited in the same transaction.
   * The assessment's row lock orders concurrent decisions: the first decides,
   * the others get RISK_ALREADY_DECIDED; the credits are granted at most once.
   */
  async decidePayment(adminId: string, paymentId: string, decision: 'approved' | 'rejected', note: string | null, ip: string | null): Promise<RiskPaymentView> {
    const { row, touched } = await this.d.db.transaction(async (tx) => {
      const held = await this.d.store.lockPayment(tx, paymentId);
      if (!held) throw new AppError('NOT_FOUND', 'no assessed payment with this id');
      if (held.decision !== 'held') throw new AppError('RISK_ALREADY_DECIDED', `this payment is ${held.decision}, not held`, { details: { decision: held.decision } });
      const touched = await this.d.holds().decideHold(tx, paymentId, decision);
      const row = await this.d.store.decidePayment(tx, paymentId, { decision, adminId, note });
      await this.d.audit.recordIn(tx, {
        key: `risk_payment_${decision}:${paymentId}`,
        actorId: adminId,
        action: decision === 'approved' ? 'admin.risk_payment_approved' : 'admin.risk_payment_rejected',
        ip,
        meta: { paymentId, userId: held.user_id, credits: held.credits, score: held.score, reasons: held.reasons, note },
      });
      return { row, touched };
    });
    if (touched.length) this.d.holds().walletsChanged(touched);
    return (await this.paymentViews([row]))[0]!;
  }

  async flaggedLogins(q: z.output<typeof riskLoginsQuery>): Promise<RiskLoginView[]> {
    const rows = await this.d.store.flaggedLogins(q);
    const names = await this.namesOf(rows.map((r) => r.user_id));
    return rows.map((r) => toLoginView(r, names.get(r.user_id) ?? null));
  }

  async flaggedPayments(q: z.output<typeof riskPaymentsQuery>): Promise<RiskPaymentView[]> {
    return this.paymentViews(await this.d.store.flaggedPayments(q));
  }

  private async paymentViews(rows: RiskPaymentRow[]): Promise<RiskPaymentView[]> {
    const names = await this.namesOf(rows.map((r) => r.user_id));
    return rows.map((r) => toPaymentView(r, names.get(r.user_id) ?? null));
  }

  private async namesOf(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    return new Map((await this.d.users.summaries([...new Set(ids)])).map((u) => [u.id, u.display_name]));
  }
}

function toLoginView(r: RiskLoginRow, displayName: string | null): RiskLoginView {
  return {
    id: r.id,
    userId: r.user_id,
    displayName,
    at: r.created_at.toISOString(),
    ip: r.ip,
    device: r.device,
    country: r.country,
    score: r.score,
    reasons: r.reasons as LoginRiskReason[],
    outcome: r.outcome,
    passedAt: r.passed_at?.toISOString() ?? null,
    releasedAt: r.outcome === 'held' ? (r.confirmed_at?.toISOString() ?? null) : null,
  };
}

function toPaymentView(r: RiskPaymentRow, displayName: string | null): RiskPaymentView {
  return {
    id: r.id,
    paymentId: r.payment_id,
    userId: r.user_id,
    displayName,
    at: r.created_at.toISOString(),
    provider: r.provider,
    packId: r.pack_id,
    credits: r.credits,
    amountMinor: Number(r.amount_minor),
    currency: r.currency,
    score: r.score,
    reasons: r.reasons as PaymentRiskReason[],
    decision: r.decision,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at?.toISOString() ?? null,
    note: r.note,
  };
}

function loginConfirmationMail(url: string, device: string, country: string | null, minutes: number) {
  return {
    subject: 'Confirm a sign-in to Pairly',
    paragraphs: [
      `Someone (perhaps you) signed in to your Pairly account from ${device}${country ? ` in ${country}` : ''}, which looks unusual for your account.`,
      `If it was you, open the link, then sign in again from the same device. The link works once, for ${minutes} minutes.`,
      'If it was not you, do not open the link, and change your password: whoever it was knows it.',
    ],
    links: [{ label: 'Yes, it was me', url }],
  };
}

function loginReleasedMail(device: string, country: string | null, minutes: number) {
  return {
    subject: 'Your sign-in to Pairly was reviewed',
    paragraphs: [
      `A sign-in to your Pairly account from ${device}${country ? ` in ${country}` : ''} was held because it looked unusual. Our team reviewed it and let it through.`,
      `Sign in again from the same device within ${minutes} minutes. If it was not you, change your password now: whoever it was knows it.`,
    ],
    links: [],
  };
}
