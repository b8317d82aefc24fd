/*
 * A call's minutes.
 *
 *   accept ──► hold minute 1 ──► job calls.tick 1 at answered + 1 minute
 *   job calls.tick n (durable in BullMQ):
 *        the room still on its Janus? ──► post minute n (creator/platform split) ──► hold minute n+1 ──► next tick
 *        (room gone: media_failure; Janus not answering: the tick waits, the media sweep decides)
 *        no credits for n+1, or a participant gone ──► end
 *        (not while presence is being rebuilt after Redis lost it: offline may only mean "not re-registered yet")
 *   end: the minute in progress is billed if it ran CALL_GRACE_SECONDS or more, else released.
 *   media sweep: a tick well overdue (its delayed job lost) is enqueued again.
 *
 * Every ledger key is derived from the call and the minute, so a repeated
 * step bills nothing twice; every step runs under the call's row lock.
 */
import type { CallEndReason } from '../../../../shared/calls.js';
import type { SfuController } from '../../../../shared/sfu.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { PresenceStore } from '../presence/presence.store.js';
import type { AfterCommit } from './calls.service.js';
import type { CallRow, CallsStore } from './calls.store.js';

export interface MeteringOptions {
  minuteSeconds: number;
  graceSeconds: number;
  mediaSweepSeconds: number;
  /** How long after presence was rebuilt from nothing (Redis lost it) an offline participant is not yet taken for gone. */
  presenceSettleSeconds: number;
}

/** What metering needs from the call lifecycle: ending a call, on its own or under a row lock already held. */
export interface CallEnding {
  endCall(callId: string, reason: CallEndReason, by: string | null, at?: Date): Promise<CallRow>;
  endLocked(tx: Queryable, c: CallRow, reason: CallEndReason, by: string | null, at: Date, after: AfterCommit): Promise<CallRow>;
  afterCommit(after: AfterCommit): Promise<void>;
}

export type NextTick = NonNullable<AfterCommit['nextTick']>;

const holdKey = (callId: string, minute: number) => `call:${callId}:min:${minute}:hold`;
const minuteKey = (callId: string, minute: number) => `call:${callId}:min:${minute}`;

export class CallsMetering {
  constructor(
    private readonly d: {
      db: Database;
      store: CallsStore;
      ledger: LedgerService;
      jobs: JobQueue;
      presence: Pick<PresenceStore, 'statuses' | 'rebuiltAt'>;
      sfu: SfuController | undefined;
      ending: CallEnding;
      logger: Logger;
      options: MeteringOptions;
    },
  ) {}

  /**
   * Job: the end of minute n. A minute is billed only if the call's room is
   * still on its Janus when the minute is over: a Janus that restarted (rooms
   * gone) ends the call as a media failure at the last moment the room was
   * seen; one that does not answer defers the tick (rescheduled after a media
   * sweep interval) until the sweep either sees the room or ends the call.
   */
  async tick(callId: string, minute: number): Promise<void> {
    const current = await this.d.store.get(callId);
    // Ended, or this minute was already through its tick (a repeated or rescued job): nothing to do.
    const done = (c: CallRow | undefined) => !c || c.state !== 'active' || c.minutes_billed >= minute || c.ticked_minute >= minute;
    if (done(current)) return;
    const media = await this.roomAtTick(current!, minute);
    if (media === 'defer') {
      await this.d.jobs.enqueue('calls.tick', { callId, minute }, { jobId: `call:${callId}:tick:${minute}:after:${Date.now()}`, delayMs: this.d.options.mediaSweepSeconds * 1000 });
      return;
    }
    if (media === 'gone') {
      this.d.logger.warn({ callId, instance: current!.sfu_instance, minute }, 'call room gone from its Janus at a minute tick: ending the call');
      await this.d.ending.endCall(callId, 'media_failure', null, current!.media_ok_at ?? current!.answered_at!);
      return;
    }
    const after: AfterCommit = { wallets: [] };
    await this.d.db.transaction(async (tx) => {
      const c = await this.d.store.lock(tx, callId);
      if (done(c) || !c) return;
      const gone = await this.participantGone(c);
      if (gone) {
        after.ended = { call: await this.d.ending.endLocked(tx, c, 'server_lost', null, gone, after), reason: 'server_lost' };
        return;
      }
      if (c.price_per_minute > 0) {
        await this.postMinute(tx, c, minute);
        const billed = await this.d.store.billed(tx, callId, minute);
        // The caller paid the minute and the callee earned it.
        after.wallets.push(c.caller_id, c.callee_id);
        if (!(await this.attempt(tx, () => this.holdMinute(tx, c, minute + 1)))) {
          // No minute n+1 is held, so ending bills nothing more.
          after.ended = { call: await this.d.ending.endLocked(tx, billed, 'insufficient_credits', null, new Date(), after), reason: 'insufficient_credits' };
          return;
        }
      }
      await this.d.store.ticked(tx, callId, minute, media.seenAt);
      after.nextTick = this.dueTick(c, minute + 1);
    });
    await this.d.ending.afterCommit(after);
  }

  /** When minute n of an answered call is over. */
  dueTick(c: Pick<CallRow, 'id' | 'answered_at'>, minute: number): NextTick {
    return { callId: c.id, minute, at: c.answered_at!.getTime() + minute * this.d.options.minuteSeconds * 1000 };
  }

  async schedule(next: NextTick): Promise<void> {
    const { callId, minute, at } = next;
    await this.d.jobs.enqueue('calls.tick', { callId, minute }, { jobId: `call:${callId}:tick:${minute}`, delayMs: Math.max(0, at - Date.now()) });
  }

  /** Holds the first minute as the call is answered: false when the caller cannot pay for it (nothing held). */
  holdFirstMinute(tx: Queryable, c: CallRow): Promise<boolean> {
    return this.attempt(tx, () => this.holdMinute(tx, c, 1));
  }

  /**
   * As a call ends at `at`: the minute in progress is billed if it ran
   * CALL_GRACE_SECONDS or more, else its hold is released. True when the
   * caller's wallet changed.
   */
  async settle(tx: Queryable, c: CallRow, at: Date): Promise<boolean> {
    if (c.state !== 'active' || c.price_per_minute <= 0) return false;
    const current = c.minutes_billed + 1;
    if (!(await this.d.ledger.holdPending(holdKey(c.id, current), tx))) return false;
    const elapsed = (at.getTime() - c.answered_at!.getTime()) / 1000 - c.minutes_billed * this.d.options.minuteSeconds;
    if (elapsed >= this.d.options.graceSeconds) {
      await this.postMinute(tx, c, current);
      await this.d.store.billed(tx, c.id, current);
    } else {
      await this.d.ledger.voidHold({ key: minuteKey(c.id, current), holdKey: holdKey(c.id, current), userId: c.caller_id, kind: 'call' }, tx);
    }
    return true;
  }

  /**
   * A call whose next minute tick is well overdue has lost its delayed job
   * (an embedded restart, a Redis that lost its data): the tick is enqueued
   * again. Ticks are idempotent per minute, so a late original is harmless.
   */
  async rescueTicks(calls: Pick<CallRow, 'id' | 'answered_at' | 'ticked_minute'>[], now: Date): Promise<void> {
    const slackMs = Math.max(5_000, 2 * this.d.options.mediaSweepSeconds * 1000);
    for (const c of calls) {
      const minute = c.ticked_minute + 1;
      const due = this.dueTick(c, minute).at;
      if (now.getTime() - due < slackMs) continue;
      this.d.logger.warn({ callId: c.id, minute, overdueMs: now.getTime() - due }, 'call minute tick overdue: enqueuing it again');
      await this.d.jobs.enqueue('calls.tick', { callId: c.id, minute }, { jobId: `call:${c.id}:tick:${minute}:rescue` });
    }
  }

  /** Before billing minute n: is the call's room still on its Janus? (`seenAt` null: nothing to check.) */
  private async roomAtTick(c: CallRow, minute: number): Promise<{ seenAt: Date | null } | 'gone' | 'defer'> {
    if (!this.d.sfu || c.sfu_instance === null || c.sfu_room === null) return { seenAt: null };
    const room = { instance: c.sfu_instance, roomId: Number(c.sfu_room) };
    try {
      return (await this.d.sfu.roomExists(room)) ? { seenAt: new Date() } : 'gone';
    } catch (err) {
      this.d.logger.warn({ err, callId: c.id, minute, instance: room.instance }, 'Janus did not answer at a minute tick: deferring the tick');
      return 'defer';
    }
  }

  private postMinute(tx: Queryable, c: CallRow, minute: number) {
    return this.d.ledger.postHold(
      { key: minuteKey(c.id, minute), holdKey: holdKey(c.id, minute), userId: c.caller_id, toUserId: c.callee_id, amount: c.price_per_minute, kind: 'call' },
      tx,
    );
  }

  private holdMinute(tx: Queryable, c: CallRow, minute: number) {
    // Held a little longer than the minute so a late tick still finds it; the expiry sweep releases it otherwise.
    const ttl = 2 * this.d.options.minuteSeconds + 120;
    return this.d.ledger.hold({ key: holdKey(c.id, minute), userId: c.caller_id, amount: c.price_per_minute, ttlSeconds: ttl, kind: 'call_hold', metadata: { callId: c.id, minute } }, tx);
  }

  /** Runs fn under a savepoint: false (and nothing of it kept) when it failed for lack of credits. */
  private async attempt(tx: Queryable, fn: () => Promise<unknown>): Promise<boolean> {
    await tx.query('SAVEPOINT call_step');
    try {
      await fn();
      await tx.query('RELEASE SAVEPOINT call_step');
      return true;
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT call_step');
      if (err instanceof AppError && err.code === 'INSUFFICIENT_CREDITS') return false;
      throw err;
    }
  }

  /**
   * A participant with no socket left anywhere (their node died and they did
   * not come back): when they were last seen. Presence that Redis lost and
   * the nodes are still writing back says nothing yet: no one is gone until
   * it has settled. One never seen since it was rebuilt was gone by then.
   */
  private async participantGone(c: CallRow): Promise<Date | undefined> {
    const s = await this.d.presence.statuses([c.caller_id, c.callee_id]);
    const offline = [c.caller_id, c.callee_id].map((id) => s.get(id)).filter((p) => p && p.status === 'offline');
    if (offline.length === 0) return undefined;
    const rebuiltAt = await this.d.presence.rebuiltAt();
    if (rebuiltAt === null || Date.now() - rebuiltAt < this.d.options.presenceSettleSeconds * 1000) {
      this.d.logger.warn({ callId: c.id, rebuiltAt }, 'call participant reads offline while presence is being rebuilt: not taken for gone');
      return undefined;
    }
    const seen = offline.map((p) => new Date(p!.lastSeen ?? rebuiltAt));
    const at = new Date(Math.min(...seen.map((d) => d.getTime())));
    return c.answered_at && at < c.answered_at ? c.answered_at : at;
  }
}
