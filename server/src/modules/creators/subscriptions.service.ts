import type { NotificationKind } from '../../../../shared/notifications.js';
import type { Notify } from '../notifications/notifications.service.js';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { bundlePrice, PERIOD_DAYS, type SubscriberJoinedView, type SubscriptionView, type TipView, type TrialTermsView, type subscribeBody, type tipBody } from '../../../../shared/creators.js';
import type { CreatorsConfig } from '../../config.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { assertPriceShown, priceFor } from '../../prices.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { Viewer } from '../media/media.views.js';
import type { CreatorsStore, SubscriptionDetail } from './creators.store.js';
import { decodeCursor, discountOf, encodeCursor, renewalPriceOf, toSubscriptionView, toTipView } from './creators.views.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

const DAY_MS = 86_400_000;
const periodsEnd = (start: Date, months: number) => new Date(start.getTime() + months * PERIOD_DAYS * DAY_MS);

export type TipTargets = Record<'post' | 'message', (viewer: Viewer, id: string) => Promise<string | undefined>>;

export type RenewOutcome = 'renewed' | 'grace' | 'expired' | 'skipped';

/** What the fan is told of a subscription that changed by itself (grace: the renewal could not be paid). */
const SUBSCRIPTION_NOTICE: Record<Exclude<RenewOutcome, 'skipped'>, NotificationKind> = {
  renewed: 'subscription_renewed',
  grace: 'subscription_failed',
  expired: 'subscription_ended',
};

/**
 * Subscriptions (paid up front per period, ledger key `sub:<id>:<period>`), their renewals, free-trial
 * claims and tips. Every change to a subscription runs under its row's lock (FOR UPDATE), so twins of a
 * subscribe or a renewal charge once; the creator's subscriber count moves in the same transaction
 * whenever a subscription starts or stops giving access.
 */
export class SubscriptionsService {
  constructor(
    private readonly d: {
      db: Database;
      store: CreatorsStore;
      ledger: Pick<LedgerService, 'spend' | 'spendMany' | 'notify' | 'refundSpend' | 'balances'>;
      realtime: Realtime;
      config: CreatorsConfig;
      logger: Logger;
      /** The creator's page by handle (NOT_FOUND when there is none). */
      pageByHandle: (handle: string) => Promise<{ user_id: string }>;
      /** A fan newly subscribes (the feed's backfill); never throws. */
      joined?: (fanId: string, creatorId: string) => void;
      /** Who a tip's post or message belongs to, as the tipper can see it (undefined: not theirs to see). */
      tipTargets: TipTargets;
      /** Renewals and their failures (to the fan), tips (to the creator). */
      notify?: Notify;
      /** Product analytics events, recorded after the commit. */
      events?: EventRecorder;
    },
  ) {}

  /**
   * Subscribes at a tier for 1, 3, 6 or 12 periods, paid now at the price the fan was shown. A twin of the
   * same subscribe (or a repeat while it is active at that tier) is a replay that charges nothing; an active
   * subscription at another tier is ALREADY_SUBSCRIBED (change its tier instead). One in grace is paid again
   * from now; an expired row is reused.
   */
  async subscribe(viewer: Viewer, handle: string, b: z.output<typeof subscribeBody>): Promise<{ subscription: SubscriptionView; charged: number; replayed: boolean; created: boolean }> {
    const page = await this.d.pageByHandle(handle);
    if (page.user_id === viewer.userId) throw new AppError('VALIDATION_FAILED', 'you cannot subscribe to yourself');
    const r = await this.d.db.transaction(async (tx) => {
      const tier = await this.d.store.tier(tx, b.tierId);
      if (!tier || tier.creator_id !== page.user_id || tier.archived_at) throw new AppError('NOT_FOUND', 'no such tier');
      const sub = await this.d.store.lockOrCreate(tx, { id: randomUUID(), fanId: viewer.userId, creatorId: page.user_id, tierId: tier.id });
      if (sub.status === 'active') {
        if (sub.tier_id === tier.id) return { id: sub.id, charged: 0, replayed: true, created: false };
        throw new AppError('ALREADY_SUBSCRIBED', 'you are subscribed at another tier: change its tier instead', { details: { subscriptionId: sub.id, tierId: sub.tier_id } });
      }
      const price = priceFor(viewer.role, 'creator', bundlePrice(tier.price_now, b.months, discountOf(tier, b.months)));
      assertPriceShown(b.expectedPrice, price);
      const period = sub.period + 1;
      const start = new Date();
      await this.d.store.startPeriod(tx, sub.id, {
        tierId: tier.id,
        period,
        months: b.months,
        price,
        start,
        end: periodsEnd(start, b.months),
        cancelAtPeriodEnd: false,
        trialLinkId: null,
        restart: sub.status === 'expired',
      });
      if (sub.status === 'expired') await this.d.store.addSubscribers(tx, page.user_id, 1);
      await this.charge(tx, { subId: sub.id, period, fanId: viewer.userId, creatorId: page.user_id, amount: price, months: b.months, tierId: tier.id });
      return { id: sub.id, charged: price, replayed: false, created: sub.status === 'expired' };
    });
    if (r.charged > 0) this.d.ledger.notify([viewer.userId, page.user_id]);
    if (!r.replayed) this.d.joined?.(viewer.userId, page.user_id);
    const detail = (await this.d.store.detail(r.id))!;
    if (r.created) this.tellCreator(detail, false);
    if (!r.replayed) this.d.events?.record('subscription', viewer.userId, { creatorId: page.user_id, credits: r.charged });
    return { subscription: toSubscriptionView(detail), charged: r.charged, replayed: r.replayed, created: r.created };
  }

  /** The creator hears of a new subscriber (a paid start or a trial) on every device. */
  private tellCreator(s: SubscriptionDetail, trial: boolean): void {
    const subscriber: SubscriberJoinedView = {
      subscriptionId: s.id,
      fanId: s.fan_id,
      fanName: s.fan_name,
      tierName: s.tier_name,
      trial,
      months: s.months,
      amount: trial ? 0 : s.period_price,
      at: new Date().toISOString(),
    };
    this.d.realtime.toUser(s.creator_id, 'subscriber:joined', { subscriber });
  }

  private async charge(tx: Queryable, c: { subId: string; period: number; fanId: string; creatorId: string; amount: number; months: number; tierId: string }): Promise<void> {
    if (c.amount === 0) return;
    await this.d.ledger.spend(
      {
        key: `sub:${c.subId}:${c.period}`,
        fromUserId: c.fanId,
        toUserId: c.creatorId,
        amount: c.amount,
        kind: 'subscription',
        metadata: { subscriptionId: c.subId, period: c.period, months: c.months, tierId: c.tierId },
      },
      tx,
    );
  }

  /** The fan's own subscription, locked, in the caller's transaction. */
  private async lockOwn(tx: Queryable, fanId: string, id: string): Promise<SubscriptionDetail> {
    const s = await this.d.store.lockById(tx, id);
    if (!s || s.fan_id !== fanId) throw new AppError('NOT_FOUND', 'no such subscription');
    return s;
  }

  /** No renewal: access to the period's end, then expired. In grace (nothing paid for now) it ends at once. */
  async cancel(fanId: string, id: string): Promise<SubscriptionView> {
    await this.d.db.transaction(async (tx) => {
      const s = await this.lockOwn(tx, fanId, id);
      if (s.status === 'active') await this.d.store.setCancel(tx, id, true);
      if (s.status === 'grace') {
        await this.d.store.expire(tx, id);
        await this.d.store.addSubscribers(tx, s.creator_id, -1);
      }
    });
    return this.changed(id);
  }

  /**
   * Renews after all (undoes a cancel; a trial's opt-in to become paid at its end), at the renewal price
   * the fan was shown (`renewalPrice` of the view).
   */
  async resume(fanId: string, id: string, expectedPrice: number | undefined): Promise<SubscriptionView> {
    await this.d.db.transaction(async (tx) => {
      const s = await this.lockOwn(tx, fanId, id);
      if (s.status === 'expired') throw new AppError('NOT_FOUND', 'this subscription has ended: subscribe again');
      await this.d.store.setCancel(tx, id, false);
      assertPriceShown(expectedPrice, renewalPriceOf({ ...s, cancel_at_period_end: false })!);
    });
    return this.changed(id);
  }

  /**
   * A tier change takes effect at the next renewal: the current period stays as paid (no proration), and
   * the renewal is at the new tier's price, which the fan states now. Asking for the current tier withdraws
   * a pending change.
   */
  async changeTier(fanId: string, id: string, tierId: string, expectedPrice: number | undefined): Promise<SubscriptionView> {
    await this.d.db.transaction(async (tx) => {
      const s = await this.lockOwn(tx, fanId, id);
      if (s.status === 'expired') throw new AppError('NOT_FOUND', 'this subscription has ended: subscribe again');
      const tier = await this.d.store.tier(tx, tierId);
      if (!tier || tier.creator_id !== s.creator_id || (tier.archived_at && tier.id !== s.tier_id)) throw new AppError('NOT_FOUND', 'no such tier');
      await this.d.store.setNextTier(tx, id, tier.id === s.tier_id ? null : tier.id);
      const after = (await this.d.store.detail(id, tx))!;
      assertPriceShown(expectedPrice, renewalPriceOf({ ...after, cancel_at_period_end: false })!);
      if (after.cancel_at_period_end) await this.d.store.setCancel(tx, id, false);
    });
    return this.changed(id);
  }

  /** The fan changed a subscription (cancel, resume, tier): its view, also pushed to their other devices. */
  private async changed(id: string): Promise<SubscriptionView> {
    const view = toSubscriptionView((await this.d.store.detail(id))!);
    this.d.realtime.toUser(view.fanId, 'subscription:updated', { subscription: view, reason: 'changed' });
    return view;
  }

  async mine(fanId: string): Promise<SubscriptionView[]> {
    return (await this.d.store.ofFan(fanId)).map(toSubscriptionView);
  }

  async subscribers(creatorId: string, cursor: string | undefined, limit: number) {
    const rows = await this.d.store.ofCreator(creatorId, cursor ? decodeCursor(cursor, 'time') : null, limit);
    const last = rows.at(-1);
    return {
      subscribers: rows.map((r) => ({ fan: { id: r.fan_id, displayName: r.fan_name }, subscription: toSubscriptionView(r) })),
      nextCursor: rows.length === limit && last ? encodeCursor([last.started_key, last.id]) : null,
    };
  }

  /**
   * The renewal job: announced prices due become the price; every active subscription past its period's end
   * is renewed (or expired), batch after batch; then one batch of those in grace is retried; last, fans whose
   * subscription ends soon without renewing are told (`expiring`).
   */
  async renewDue(): Promise<Record<RenewOutcome | 'expiring', number>> {
    const counts: Record<RenewOutcome | 'expiring', number> = { renewed: 0, grace: 0, expired: 0, skipped: 0, expiring: 0 };
    await this.d.store.foldDuePrices();
    const { renewBatch } = this.d.config;
    const renewAll = async (ids: string[]) => {
      for (const outcome of (await this.renewMany(ids)).values()) counts[outcome]++;
    };
    // Bounded: a run never loops for ever on rows another node keeps skipping.
    for (let batch = 0; batch < 100; batch++) {
      const ids = await this.d.store.due('active', renewBatch);
      await renewAll(ids);
      if (ids.length < renewBatch) break;
    }
    await renewAll(await this.d.store.due('grace', renewBatch));
    counts.expiring = await this.noticeEnding();
    return counts;
  }

  /**
   * `subscription_expiring`: a fan whose active subscription ends within CREATOR_EXPIRY_NOTICE_HOURS and will
   * not renew (cancelled, a trial not opted in, or a wallet now short of the renewal price, counting the fan's
   * other renewals due first in the window) is told once per
   * period. The period is marked under the row's lock in the transaction that decides, so runs twice or on
   * two nodes at once tell the fan once; one who can pay is looked at again by later runs (the wallet may
   * still drop before the end). Returns how many fans were told.
   */
  async noticeEnding(): Promise<number> {
    const hours = this.d.config.expiryNoticeHours;
    if (hours === 0) return 0;
    const limit = this.d.config.renewBatch;
    let after: [Date, string] | null = null;
    let told = 0;
    // Bounded like renewDue: a run never loops for ever.
    for (let batch = 0; batch < 100; batch++) {
      const r = await this.d.db.transaction(async (tx) => {
        const rows = await this.d.store.lockEndingSoon(tx, hours, after, limit);
        const fans = [...new Set(rows.map((s) => s.fan_id))];
        const [wallets, upcoming] = rows.length
          ? await Promise.all([this.d.ledger.balances(fans), this.d.store.endingSoonOf(tx, fans, hours)])
          : [new Map<string, { available: number }>(), []];
        // A fan's renewals in the window take credits in turn, earliest end first: one the wallet covers
        // alone may be short after the others (one that cannot renew takes nothing).
        const left = new Map(fans.map((f) => [f, wallets.get(f)?.available ?? 0]));
        const short = new Map<string, { by: number; afterOthers: boolean }>();
        for (const s of upcoming) {
          const price = renewalPriceOf(s);
          if (price === null) continue;
          const available = left.get(s.fan_id) ?? 0;
          if (price <= available) left.set(s.fan_id, available - price);
          else short.set(s.id, { by: price - available, afterOthers: price <= (wallets.get(s.fan_id)?.available ?? 0) });
        }
        const ending = rows.flatMap((s) => {
          if (renewalPriceOf(s) === null) return [{ s, shortBy: 0, afterOthers: false }];
          const sh = short.get(s.id);
          return sh ? [{ s, shortBy: sh.by, afterOthers: sh.afterOthers }] : [];
        });
        await this.d.store.markExpiryNoticed(tx, ending.map((e) => e.s.id));
        return { rows, ending };
      });
      for (const { s, shortBy, afterOthers } of r.ending) {
        const view = toSubscriptionView(s);
        const ends = s.current_period_end.toISOString().slice(0, 10);
        const more = `${shortBy} more credits renew it${afterOthers ? ' after your other renewals' : ''}`;
        const detail = shortBy > 0 ? `${view.tier.name} ends ${ends}; ${more}` : `${view.tier.name} ends ${ends}`;
        const payload = { actorId: view.creator.id, actorName: view.creator.displayName, detail, link: view.creator.handle ? `/c/${view.creator.handle}` : '/creators', ref: `expiring:${s.id}:${s.period}` };
        this.d.notify?.notifyLater(s.fan_id, { kind: 'subscription_expiring', subject: s.id, payload });
      }
      told += r.ending.length;
      const last = r.rows.at(-1);
      if (!last || r.rows.length < limit) break;
      after = [last.current_period_end, last.id];
    }
    return told;
  }

  async renewOne(id: string): Promise<RenewOutcome> {
    return (await this.renewMany([id])).get(id)!;
  }

  /**
   * Subscriptions whose period has ended, in one transaction under their locks (rows another run or a fan
   * holds are skipped, not waited for): cancelled or out of grace → expired; the rest are charged their next
   * period in one ledger call (keys `sub:<id>:<period+1>`, each with its own outcome, at the renewing tier's
   * price at the period's end, so an announced rise applies only from its date). Not enough credits: grace
   * for CREATOR_GRACE_DAYS (access continues, retried by each run), then expired. A twin that finds one
   * renewed does nothing. Each fan is told what happened.
   */
  async renewMany(ids: string[]): Promise<Map<string, RenewOutcome>> {
    const r = await this.d.db.transaction(async (tx) => {
      const outcomes = new Map<string, RenewOutcome>(ids.map((id) => [id, 'skipped']));
      const now = Date.now();
      const due = (await this.d.store.lockManyForRenewal(tx, ids)).filter((s) => s.status !== 'expired' && s.current_period_end.getTime() <= now);
      const ending = due.filter((s) => s.cancel_at_period_end || (s.status === 'grace' && s.grace_until!.getTime() <= now));
      // Expiries first: creator pages are then locked before wallets, in the order a subscribe takes them.
      await this.d.store.expireMany(tx, ending);
      for (const s of ending) outcomes.set(s.id, 'expired');

      const plans = due
        .filter((s) => !ending.includes(s))
        .map((s) => {
          // On time, the next period follows the last; paid late from grace, it starts now.
          const start = s.status === 'active' ? s.current_period_end : new Date(now);
          return { s, id: s.id, tierId: s.next_tier_id ?? s.tier_id, period: s.period + 1, price: renewalPriceOf(s)!, start, end: periodsEnd(start, s.months) };
        });
      const paid = plans.filter((p) => p.price > 0);
      const results = await this.d.ledger.spendMany(
        paid.map((p) => ({
          key: `sub:${p.id}:${p.period}`,
          fromUserId: p.s.fan_id,
          toUserId: p.s.creator_id,
          amount: p.price,
          kind: 'subscription',
          metadata: { subscriptionId: p.id, period: p.period, months: p.s.months, tierId: p.tierId },
        })),
        {},
        tx,
      );
      // Refused charges: unpaid (not enough credits), or left as they are for the next run (anything else).
      const unpaid = new Set<string>();
      const refused = new Set<string>();
      paid.forEach((p, i) => {
        const o = results[i]!;
        if (o.ok) return;
        refused.add(p.id);
        if (o.error instanceof AppError && o.error.code === 'INSUFFICIENT_CREDITS') unpaid.add(p.id);
        else this.d.logger.warn({ err: o.error, subscriptionId: p.id }, 'renewal charge refused');
      });
      const renewed = plans.filter((p) => !refused.has(p.id));
      await this.d.store.renewPeriods(tx, renewed);
      for (const p of renewed) outcomes.set(p.id, 'renewed');

      // Unpaid: an active one goes into grace (or ends, without a grace period); one already in grace stays.
      const lapsing = plans.filter((p) => unpaid.has(p.id) && p.s.status === 'active').map((p) => p.s);
      if (this.d.config.graceDays === 0) {
        await this.d.store.expireMany(tx, lapsing);
        for (const s of lapsing) outcomes.set(s.id, 'expired');
      } else {
        await this.d.store.setGraceMany(tx, lapsing.map((s) => s.id), new Date(now + this.d.config.graceDays * DAY_MS));
        for (const s of lapsing) outcomes.set(s.id, 'grace');
      }
      const charged = paid.filter((p) => !refused.has(p.id)).flatMap((p) => [p.s.fan_id, p.s.creator_id]);
      return { outcomes, charged };
    });
    if (r.charged.length) this.d.ledger.notify(r.charged);
    await this.tell([...r.outcomes].filter(([, o]) => o !== 'skipped'));
    return r.outcomes;
  }

  /**
   * A banned creator's fans stop paying for nothing: every subscription still giving access ends now, and an
   * active one gets back the unused part of the period it paid for, pro rata by time (never more than it
   * paid; ledger key `ban-refund:<subscription>:<period>`). Under the rows' locks, so a ban applied twice
   * or by two admins at once refunds once: the second finds the subscriptions ended.
   */
  async stopForBan(creatorId: string, now = new Date()): Promise<{ stopped: number; refunded: number }> {
    const r = await this.d.db.transaction(async (tx) => {
      const live = await this.d.store.lockLiveOfCreator(tx, creatorId);
      await this.d.store.expireMany(tx, live);
      let refunded = 0;
      for (const s of live) {
        const unused = unusedShare(s, now);
        if (s.status !== 'active' || unused <= 0) continue;
        const out = await this.d.ledger.refundSpend({ key: `ban-refund:${s.id}:${s.period}`, spendKey: `sub:${s.id}:${s.period}`, fanId: s.fan_id, creatorId, amount: unused, kind: 'subscription_refund' }, tx);
        refunded += out.refunded;
      }
      return { live, refunded };
    });
    if (r.live.length) this.d.ledger.notify([creatorId, ...r.live.map((s) => s.fan_id)]);
    await this.tell(r.live.map((s) => [s.id, 'expired']));
    return { stopped: r.live.length, refunded: r.refunded };
  }

  private async tell(changed: [string, RenewOutcome][]): Promise<void> {
    const reasons = new Map(changed);
    for (const s of await this.d.store.details([...reasons.keys()])) {
      const view = toSubscriptionView(s);
      const reason = reasons.get(s.id) as Exclude<RenewOutcome, 'skipped'>;
      this.d.realtime.toUser(s.fan_id, 'subscription:updated', { subscription: view, reason });
      const kind = SUBSCRIPTION_NOTICE[reason];
      if (kind) {
        const payload = { actorId: view.creator.id, actorName: view.creator.displayName, detail: view.tier.name, link: view.creator.handle ? `/c/${view.creator.handle}` : '/creators' };
        this.d.notify?.notifyLater(s.fan_id, { kind, subject: view.id, payload });
      }
    }
  }

  /** What a trial link gives, before claiming it: the creator, the tier, its days, what keeping it would cost. */
  async trialTerms(viewer: Viewer, code: string): Promise<TrialTermsView> {
    const link = await this.d.store.trialByCode(code, viewer.userId);
    const tier = link && (await this.d.store.tier(this.d.db, link.tier_id));
    const page = link && (await this.d.store.pageOf(link.creator_id));
    if (!link || !tier || !page) throw new AppError('NOT_FOUND', 'no such trial link');
    const open = !link.revoked_at && link.expires_at.getTime() > Date.now() && link.claims < link.max_claims && !tier.archived_at;
    return {
      code: link.code,
      days: link.days,
      expiresAt: link.expires_at.toISOString(),
      available: open && !link.claimed && link.creator_id !== viewer.userId,
      claimedByYou: link.claimed,
      creator: { userId: page.user_id, handle: page.handle, displayName: page.display_name },
      tier: { id: tier.id, rank: tier.rank, name: tier.name, pricePerPeriod: priceFor(viewer.role, 'creator', tier.price_now) },
    };
  }

  /**
   * Claims a free-trial link: a subscription at its tier for its days at no charge, once per fan and link.
   * A trial does not renew unless the fan opts in (resume, at the renewal price shown); otherwise it expires
   * at its end.
   */
  async claimTrial(viewer: Viewer, code: string): Promise<{ subscription: SubscriptionView }> {
    const claimed = await this.d.db.transaction(async (tx) => {
      const link = await this.d.store.lockTrialLink(tx, code);
      if (!link) throw new AppError('NOT_FOUND', 'no such trial link');
      if (link.creator_id === viewer.userId) throw new AppError('VALIDATION_FAILED', 'this is your own trial link');
      const tier = await this.d.store.tier(tx, link.tier_id);
      if (link.revoked_at || link.expires_at.getTime() <= Date.now() || link.claims >= link.max_claims || !tier || tier.archived_at) {
        throw new AppError('TRIAL_UNAVAILABLE', 'this trial link is no longer available');
      }
      if (!(await this.d.store.claimTrial(tx, link.id, viewer.userId))) throw new AppError('TRIAL_CLAIMED', 'you have claimed this trial already');
      const sub = await this.d.store.lockOrCreate(tx, { id: randomUUID(), fanId: viewer.userId, creatorId: link.creator_id, tierId: tier.id });
      if (sub.status !== 'expired') throw new AppError('ALREADY_SUBSCRIBED', 'you are subscribed to this creator already', { details: { subscriptionId: sub.id, tierId: sub.tier_id } });
      const start = new Date();
      await this.d.store.startPeriod(tx, sub.id, {
        tierId: tier.id,
        period: sub.period + 1,
        months: 1,
        price: 0,
        start,
        end: new Date(start.getTime() + link.days * DAY_MS),
        cancelAtPeriodEnd: true,
        trialLinkId: link.id,
        restart: true,
      });
      await this.d.store.addSubscribers(tx, link.creator_id, 1);
      return { id: sub.id, creatorId: link.creator_id };
    });
    this.d.joined?.(viewer.userId, claimed.creatorId);
    const detail = (await this.d.store.detail(claimed.id))!;
    this.tellCreator(detail, true);
    return { subscription: toSubscriptionView(detail) };
  }

  /**
   * A tip to a creator (on their page, a post or a message), between TIP_MIN and TIP_MAX, once per
   * (fan, clientId): a retry returns the stored tip and charges nothing; the same clientId for a different
   * tip is IDEMPOTENCY_CONFLICT. A post must be the creator's and exist for the tipper (locked is fine); a
   * message must be one the creator sent in a conversation of the tipper's: otherwise NOT_FOUND. The creator is
   * told live on every device, and both wallets update.
   */
  async tip(viewer: Viewer, b: z.output<typeof tipBody>): Promise<{ tip: TipView; replayed: boolean }> {
    const { min, max } = this.d.config.tip;
    if (b.amount < min || b.amount > max) throw new AppError('VALIDATION_FAILED', `a tip is ${min} to ${max} credits`, { details: { min, max } });
    if (b.creatorId === viewer.userId) throw new AppError('VALIDATION_FAILED', 'you cannot tip yourself');
    if ((await this.d.store.roleOf(b.creatorId)) !== 'creator') throw new AppError('NOT_FOUND', 'no such creator');
    if (b.target !== 'creator') {
      const owner = await this.d.tipTargets[b.target](viewer, b.targetId!);
      if (owner !== b.creatorId) throw new AppError('NOT_FOUND', `no such ${b.target} of this creator`);
    }
    const r = await this.d.db.transaction(async (tx) => {
      const { row, created } = await this.d.store.insertTip(tx, {
        id: randomUUID(),
        fanId: viewer.userId,
        creatorId: b.creatorId,
        amount: b.amount,
        target: b.target,
        targetId: b.targetId ?? null,
        note: b.note ?? null,
        clientId: b.clientId,
      });
      if (!created) {
        const same = row.creator_id === b.creatorId && row.amount === b.amount && row.target === b.target && row.target_id === (b.targetId ?? null) && row.note === (b.note ?? null);
        if (!same) throw new AppError('IDEMPOTENCY_CONFLICT', 'this clientId was used for a different tip');
        return { row, replayed: true };
      }
      await this.d.ledger.spend({ key: `tip:${row.id}`, fromUserId: viewer.userId, toUserId: b.creatorId, amount: b.amount, kind: 'tip', metadata: { tipId: row.id, target: b.target, targetId: b.targetId ?? null } }, tx);
      return { row, replayed: false };
    });
    const tip = toTipView(r.row);
    if (!r.replayed) {
      this.d.ledger.notify([viewer.userId, b.creatorId]);
      this.d.realtime.toUser(b.creatorId, 'tip:received', { tip });
      // Collapsed per fan: "3 tips from Ann".
      this.d.notify?.notifyLater(b.creatorId, { kind: 'tip', subject: viewer.userId, payload: { actorId: viewer.userId, actorName: tip.fanName, detail: `${tip.amount} credits`, link: '/earnings' } });
    }
    if (!r.replayed) this.d.events?.record('tip', viewer.userId, { creatorId: b.creatorId, credits: b.amount });
    return { tip, replayed: r.replayed };
  }

  async tips(creatorId: string, cursor: string | undefined, limit: number): Promise<{ tips: TipView[]; nextCursor: string | null }> {
    const rows = await this.d.store.tipsOf(creatorId, cursor ? decodeCursor(cursor, 'time') : null, limit);
    const last = rows.at(-1);
    return { tips: rows.map(toTipView), nextCursor: rows.length === limit && last ? encodeCursor([last.created_key, last.id]) : null };
  }
}

/** The credits of a paid period not yet used at `now`, rounded down: pro rata by time. */
export function unusedShare(s: { period_price: number; current_period_start: Date; current_period_end: Date }, now: Date): number {
  const total = s.current_period_end.getTime() - s.current_period_start.getTime();
  const left = Math.min(total, Math.max(0, s.current_period_end.getTime() - now.getTime()));
  return total > 0 ? Math.floor((Number(s.period_price) * left) / total) : 0;
}
