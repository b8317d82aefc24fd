/*
 * A metered call.
 *
 *   call:invite ──► calls row 'ringing' (+ one-call-per-user rows) ──► call:ringing to the callee's devices
 *        └─ job calls.ring-timeout after CALL_RING_SECONDS ──► 'no_answer'
 *   call:accept (one device wins: ringing → connecting under the row lock)
 *        ──► SFU room on the least-loaded Janus ──► hold minute 1 ──► 'active'
 *        ──► call:accepted (media credentials) to the caller; call:elsewhere to the callee's other devices
 *   job calls.tick n (at answered + n minutes, durable in BullMQ):
 *        the room still on its Janus? ──► post minute n (creator/platform split) ──► hold minute n+1 ──► next tick
 *        (room gone: media_failure; Janus not answering: the tick waits, the media sweep decides)
 *        no credits for n+1, or a participant gone ──► end
 *        (not while presence is being rebuilt after Redis lost it: offline may only mean "not re-registered yet")
 *   end (hang-up, decline, cancel, timeout, credits, media, server lost):
 *        the minute in progress is billed if it ran CALL_GRACE_SECONDS or more, else released;
 *        the room is destroyed (its media really stops; retried by a job while its Janus
 *        does not answer); call:ended to both.
 *   job calls.media-sweep (every CALL_MEDIA_SWEEP_SECONDS): an active call whose room is gone
 *        from a healthy Janus (it restarted), or whose Janus has not answered for
 *        CALL_MEDIA_LOST_SECONDS, ends as media_failure at the last moment its room was seen.
 *
 * Every step locks the call's row first, so ticks and hang-ups of one call
 * never interleave, whichever node or worker runs them; every ledger key is
 * derived from the call and the minute, so a repeated step bills nothing twice.
 */
import { randomUUID } from 'node:crypto';
import type { CallEndReason, CallMedia, CallView } from '../../../../shared/calls.js';
import type { SfuController, SfuInstanceHealth } from '../../../../shared/sfu.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { PresenceStore } from '../presence/presence.store.js';
import type { SafetyStore } from '../safety/safety.store.js';
import type { UsersStore } from '../users/users.store.js';
import { toCallView, type CallRow, type CallsStore } from './calls.store.js';
import type { SfuRooms } from './sfu-rooms.js';
import { turnCredentials } from './turn.js';
import { assertPriceShown, priceFor } from '../../prices.js';

export interface CallsOptions {
  minuteSeconds: number;
  ringSeconds: number;
  graceSeconds: number;
  mediaSweepSeconds: number;
  mediaLostSeconds: number;
  /** How long after presence was rebuilt from nothing (Redis lost it) an offline participant is not yet taken for gone. */
  presenceSettleSeconds: number;
  turn?: { urls: string[]; secret: string; ttlSeconds: number };
}

interface AfterCommit {
  ended?: { call: CallRow; reason: CallEndReason };
  nextTick?: { callId: string; minute: number; at: number };
  wallets: string[];
}

const holdKey = (callId: string, minute: number) => `call:${callId}:min:${minute}:hold`;
const minuteKey = (callId: string, minute: number) => `call:${callId}:min:${minute}`;

export class CallsService {
  constructor(
    private readonly d: {
      db: Database;
      store: CallsStore;
      users: UsersStore;
      safety: SafetyStore;
      ledger: LedgerService;
      realtime: Realtime;
      jobs: JobQueue;
      presence: Pick<PresenceStore, 'statuses' | 'rebuiltAt'>;
      sfu: SfuController | undefined;
      rooms: SfuRooms;
      logger: Logger;
      options: CallsOptions;
    },
  ) {}

  private get sfu(): SfuController {
    if (!this.d.sfu) throw new AppError('SFU_UNAVAILABLE', 'calls need an SFU (SFU_JANUS_INSTANCES is not set)');
    return this.d.sfu;
  }

  /**
   * `expectedPrice`: the per-minute price the caller's client showed (absent: free). The call row keeps
   * the price agreed here and every minute is billed at it, whatever the creator sets later.
   */
  async invite(callerId: string, calleeId: string, video: boolean, expectedPrice?: number): Promise<{ call: CallView }> {
    void this.sfu; // refuse at once when calls are not set up here
    if (callerId === calleeId) throw new AppError('VALIDATION_FAILED', 'you cannot call yourself');
    const [caller, callee] = await Promise.all([this.d.users.findById(callerId), this.d.users.findById(calleeId)]);
    if (!caller || !callee || callee.status !== 'active') throw new AppError('NOT_FOUND', 'no such user');
    if (await this.d.safety.blockedEitherWay(callerId, calleeId)) throw new AppError('BLOCKED', 'you cannot call this user');
    // Creators set a per-minute price for fans; creators and admins call free. Read just now, and stored
    // (as agreed) by the insert below: a price set after this read applies to later calls only.
    const price = priceFor(caller.role, callee.role, callee.call_price_per_minute);
    assertPriceShown(expectedPrice, price);
    if (price > 0 && (await this.d.ledger.balance(callerId)).available < price) {
      throw new AppError('INSUFFICIENT_CREDITS', `a call costs ${price} credits a minute`);
    }
    let row: CallRow | undefined;
    try {
      row = await this.d.store.create({ id: randomUUID(), callerId, calleeId, video, price });
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
    }
    if (!row) throw new AppError('BUSY', 'one of you is already in a call');
    const call = toCallView(row);
    this.d.realtime.toUser(calleeId, 'call:ringing', { call, from: { userId: callerId, displayName: caller.display_name } });
    await this.d.jobs.enqueue('calls.ring-timeout', { callId: row.id }, { jobId: `call:${row.id}:ring`, delayMs: this.d.options.ringSeconds * 1000 });
    return { call };
  }

  /** The callee answers from one device; a second device gets CALL_NOT_RINGING. */
  async accept(userId: string, callId: string, socketId?: string): Promise<{ call: CallView; media: CallMedia }> {
    const sfu = this.sfu;
    const ringing = await this.d.db.transaction(async (tx) => {
      const c = await this.d.store.lock(tx, callId);
      if (!c || c.callee_id !== userId) throw new AppError('NOT_FOUND', 'no such call');
      if (c.state !== 'ringing') throw new AppError('CALL_NOT_RINGING', 'this call is not ringing (answered elsewhere or ended)');
      return this.d.store.setState(tx, callId, 'connecting');
    });
    let room;
    try {
      room = await sfu.createRoom(callId, [ringing.caller_id, ringing.callee_id]);
    } catch (err) {
      this.d.logger.error({ err, callId }, 'SFU room creation failed');
      await this.endCall(callId, 'media_failure', null);
      throw new AppError('SFU_UNAVAILABLE', 'no media server could take the call');
    }
    const after: AfterCommit = { wallets: [] };
    // Until the call row holds the room, nothing else would destroy it.
    const dropRoom = () => this.d.rooms.destroy(room, { callId });
    const call = await this.d.db.transaction(async (tx) => {
      const c = await this.d.store.lock(tx, callId);
      if (!c || c.state !== 'connecting') throw new AppError('CALL_NOT_RINGING', 'the call ended while connecting');
      if (c.price_per_minute > 0) {
        const held = await this.attempt(tx, () => this.holdMinute(tx, c, 1));
        if (!held) {
          after.ended = { call: await this.d.store.end(tx, callId, 'insufficient_credits', null, new Date()), reason: 'insufficient_credits' };
          return after.ended.call;
        }
        after.wallets.push(c.caller_id);
      }
      const active = await this.d.store.setState(tx, callId, 'active', { instance: room.instance, room: room.roomId });
      after.nextTick = { callId, minute: 1, at: active.answered_at!.getTime() + this.d.options.minuteSeconds * 1000 };
      return active;
    }).catch(async (err: unknown) => {
      await dropRoom();
      throw err;
    });
    await this.afterCommit(after);
    if (call.state !== 'active') {
      await dropRoom();
      throw new AppError('INSUFFICIENT_CREDITS', 'the caller cannot pay for the first minute');
    }
    const view = toCallView(call);
    const media = (participant: string): CallMedia => this.media(room, participant);
    this.d.realtime.toUser(call.caller_id, 'call:accepted', { call: view, media: media(call.caller_id) });
    this.d.realtime.toUsers([userId], 'call:elsewhere', { callId }, { exceptSocketId: socketId });
    return { call: view, media: media(userId) };
  }

  /** Another device of a participant takes the active call over: it gets the participant's media credentials. */
  async takeover(userId: string, callId: string, socketId?: string): Promise<{ call: CallView; media: CallMedia }> {
    const c = await this.d.store.get(callId);
    if (!c || (c.caller_id !== userId && c.callee_id !== userId)) throw new AppError('NOT_FOUND', 'no such call');
    if (c.state !== 'active' || c.sfu_instance === null || c.sfu_room === null) throw new AppError('CALL_NOT_ACTIVE', 'this call is not active');
    const room = await this.sfu.createRoom(callId, [c.caller_id, c.callee_id]); // idempotent: the same room and tokens
    this.d.realtime.toUsers([userId], 'call:elsewhere', { callId }, { exceptSocketId: socketId });
    return { call: toCallView(c), media: this.media(room, userId) };
  }

  /** TURN servers with fresh credentials for one user (also for clients that set up media themselves). */
  iceServers(userId: string): CallMedia['iceServers'] {
    return this.d.options.turn ? [turnCredentials(this.d.options.turn, userId)] : [];
  }

  private media(room: { clientUrl: string; roomId: number; tokens: Record<string, string> }, participant: string): CallMedia {
    return { clientUrl: room.clientUrl, roomId: room.roomId, token: room.tokens[participant]!, iceServers: this.iceServers(participant) };
  }

  async decline(userId: string, callId: string) {
    return this.endByUser(userId, callId, 'declined', (c) => c.callee_id === userId && c.state === 'ringing');
  }

  async cancel(userId: string, callId: string) {
    return this.endByUser(userId, callId, 'cancelled', (c) => c.caller_id === userId && (c.state === 'ringing' || c.state === 'connecting'));
  }

  async hangup(userId: string, callId: string) {
    return this.endByUser(userId, callId, 'hangup', (c) => c.caller_id === userId || c.callee_id === userId);
  }

  private async endByUser(userId: string, callId: string, reason: CallEndReason, allowed: (c: CallRow) => boolean): Promise<{ call: CallView }> {
    const c = await this.d.store.get(callId);
    if (!c || (c.caller_id !== userId && c.callee_id !== userId)) throw new AppError('NOT_FOUND', 'no such call');
    if (c.state === 'ended' || !allowed(c)) throw new AppError('CALL_NOT_ACTIVE', `you cannot ${reason === 'hangup' ? 'hang up' : reason.replace(/d$/, '')} this call now`);
    return { call: toCallView(await this.endCall(callId, reason, userId)) };
  }

  /** Job: a call still ringing when its time is up was not answered. */
  async ringTimeout(callId: string): Promise<void> {
    const c = await this.d.store.get(callId);
    if (c?.state === 'ringing') await this.endCall(callId, 'no_answer', null);
  }

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
      await this.endCall(callId, 'media_failure', null, current!.media_ok_at ?? current!.answered_at!);
      return;
    }
    const after: AfterCommit = { wallets: [] };
    await this.d.db.transaction(async (tx) => {
      const c = await this.d.store.lock(tx, callId);
      if (done(c) || !c) return;
      const gone = await this.participantGone(c);
      if (gone) {
        after.ended = { call: await this.endLocked(tx, c, 'server_lost', null, gone, after), reason: 'server_lost' };
        return;
      }
      if (c.price_per_minute > 0) {
        await this.postMinute(tx, c, minute);
        const billed = await this.d.store.billed(tx, callId, minute);
        after.wallets.push(c.caller_id);
        if (!(await this.attempt(tx, () => this.holdMinute(tx, c, minute + 1)))) {
          // No minute n+1 is held, so ending bills nothing more.
          after.ended = { call: await this.endLocked(tx, billed, 'insufficient_credits', null, new Date(), after), reason: 'insufficient_credits' };
          return;
        }
      }
      await this.d.store.ticked(tx, callId, minute, media.seenAt);
      after.nextTick = { callId, minute: minute + 1, at: c.answered_at!.getTime() + (minute + 1) * this.d.options.minuteSeconds * 1000 };
    });
    await this.afterCommit(after);
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

  /**
   * Job: active calls against their Janus. Seen in a healthy instance's room
   * list: media_ok_at moves on. Missing from a healthy instance (it restarted,
   * losing its rooms): ended now. On an instance that has not answered for
   * CALL_MEDIA_LOST_SECONDS: ended. Either way the end is dated at the last
   * moment the room was seen, so billing stops where the media could have.
   * Rooms left on a Janus by calls or sessions that have ended are destroyed.
   */
  async mediaSweep(): Promise<{ checked: number; ended: string[]; orphans: number }> {
    if (!this.d.sfu) return { checked: 0, ended: [], orphans: 0 };
    const calls = await this.d.store.activeOnSfu();
    const checkedAt = new Date();
    await this.endStuck(checkedAt);
    const health = new Map((await this.d.sfu.health()).map((h) => [h.instance, h]));
    const orphans = await this.destroyOrphanRooms([...health.values()]);
    const seen: string[] = [];
    const lost: { id: string; at: Date; why: string }[] = [];
    for (const c of calls) {
      const h = health.get(c.sfu_instance!);
      const lastSeen = c.media_ok_at ?? c.answered_at!;
      if (h?.healthy) {
        if (h.rooms.some((r) => r.roomId === Number(c.sfu_room))) seen.push(c.id);
        else lost.push({ id: c.id, at: lastSeen, why: 'room gone from its Janus' });
      } else if (checkedAt.getTime() - lastSeen.getTime() >= this.d.options.mediaLostSeconds * 1000) {
        lost.push({ id: c.id, at: lastSeen, why: h ? `Janus unreachable: ${h.error ?? 'unhealthy'}` : 'Janus no longer in SFU_JANUS_INSTANCES' });
      }
    }
    await this.d.store.mediaSeen(seen, checkedAt);
    await this.rescueTicks(calls, checkedAt);
    for (const l of lost) {
      this.d.logger.warn({ callId: l.id, instance: calls.find((c) => c.id === l.id)?.sfu_instance, lastSeen: l.at }, `call media lost (${l.why}): ending the call`);
      await this.endCall(l.id, 'media_failure', null, l.at);
    }
    return { checked: calls.length, ended: lost.map((l) => l.id), orphans };
  }

  /**
   * Calls that never got past ringing or connecting: a ring-timeout job that
   * was lost, or a node that died in the middle of an accept. Ringing past
   * its time ends as no_answer (what the job would have done); connecting
   * for a minute longer than that ends as media_failure (nothing was billed:
   * the first hold is placed only on the way to active).
   */
  private async endStuck(now: Date): Promise<void> {
    const slackMs = Math.max(5_000, 2 * this.d.options.mediaSweepSeconds * 1000);
    const ringMs = this.d.options.ringSeconds * 1000;
    for (const c of await this.d.store.stuck(new Date(now.getTime() - ringMs - slackMs))) {
      if (c.state === 'ringing') {
        this.d.logger.warn({ callId: c.id }, 'call still ringing past its time: ending it as no answer');
        await this.ringTimeout(c.id);
      }
    }
    for (const c of await this.d.store.stuck(new Date(now.getTime() - ringMs - slackMs - 60_000))) {
      if (c.state === 'connecting') {
        this.d.logger.warn({ callId: c.id }, 'call stuck connecting: ending it as a media failure');
        await this.endCall(c.id, 'media_failure', null);
      }
    }
  }

  /**
   * A call whose next minute tick is well overdue has lost its delayed job
   * (an embedded restart, a Redis that lost its data): the tick is enqueued
   * again. Ticks are idempotent per minute, so a late original is harmless.
   */
  private async rescueTicks(calls: Pick<CallRow, 'id' | 'answered_at' | 'ticked_minute'>[], now: Date): Promise<void> {
    const slackMs = Math.max(5_000, 2 * this.d.options.mediaSweepSeconds * 1000);
    for (const c of calls) {
      const minute = c.ticked_minute + 1;
      const due = c.answered_at!.getTime() + minute * this.d.options.minuteSeconds * 1000;
      if (now.getTime() - due < slackMs) continue;
      this.d.logger.warn({ callId: c.id, minute, overdueMs: now.getTime() - due }, 'call minute tick overdue: enqueuing it again');
      await this.d.jobs.enqueue('calls.tick', { callId: c.id, minute }, { jobId: `call:${c.id}:tick:${minute}:rescue` });
    }
  }

  /**
   * Rooms whose call or match session has ended but which are still on a
   * Janus (a create that timed out after reaching Janus, a destruction whose
   * retries ran out): destroyed. Rooms of calls or sessions still open, and
   * rooms Pairly cannot place (no such call or session), are left alone.
   */
  private async destroyOrphanRooms(health: SfuInstanceHealth[]): Promise<number> {
    const owned = health.flatMap((h) => h.rooms.flatMap((r) => (r.owner === null ? [] : [{ instance: h.instance, roomId: r.roomId, owner: r.owner }])));
    if (owned.length === 0) return 0;
    const ended = await this.d.store.endedOwners(owned.map((r) => r.owner));
    const orphans = owned.filter((r) => ended.has(r.owner));
    for (const r of orphans) {
      this.d.logger.warn({ instance: r.instance, roomId: r.roomId, owner: r.owner }, 'media sweep: destroying a room whose call or session has ended');
      await this.d.rooms.destroy({ instance: r.instance, roomId: r.roomId }, { owner: r.owner, orphan: true });
    }
    return orphans.length;
  }

  /** For the admins' live view. */
  openCounts() {
    return this.d.store.openCounts();
  }

  async history(userId: string, before: Date | null, limit: number) {
    const rows = await this.d.store.history(userId, before, limit);
    return rows.map((c) => {
      const role = c.caller_id === userId ? 'caller' : 'callee';
      const gross = c.credits_billed;
      return {
        ...toCallView(c),
        role,
        peer: { userId: role === 'caller' ? c.callee_id : c.caller_id, displayName: c.peer_name },
        // The receipt from this side: what the caller paid, what the creator earned after the platform fee.
        receipt: role === 'caller' ? { paid: gross } : { earned: gross - Math.floor((gross * this.d.ledger.options.feeBps) / 10_000) },
      };
    });
  }

  /** Ends a call from any state, billing the minute in progress by the grace rule. */
  async endCall(callId: string, reason: CallEndReason, by: string | null, at = new Date()): Promise<CallRow> {
    const after: AfterCommit = { wallets: [] };
    const call = await this.d.db.transaction(async (tx) => {
      const c = await this.d.store.lock(tx, callId);
      if (!c) throw new AppError('NOT_FOUND', 'no such call');
      if (c.state === 'ended') return c;
      const ended = await this.endLocked(tx, c, reason, by, at, after);
      after.ended = { call: ended, reason };
      return ended;
    });
    await this.afterCommit(after);
    return call;
  }

  private async endLocked(tx: Queryable, c: CallRow, reason: CallEndReason, by: string | null, at: Date, after: AfterCommit): Promise<CallRow> {
    if (c.state === 'active' && c.price_per_minute > 0) {
      const current = c.minutes_billed + 1;
      if (await this.d.ledger.holdPending(holdKey(c.id, current), tx)) {
        const elapsed = (at.getTime() - c.answered_at!.getTime()) / 1000 - c.minutes_billed * this.d.options.minuteSeconds;
        if (elapsed >= this.d.options.graceSeconds) {
          await this.postMinute(tx, c, current);
          await this.d.store.billed(tx, c.id, current);
        } else {
          await this.d.ledger.voidHold({ key: minuteKey(c.id, current), holdKey: holdKey(c.id, current), userId: c.caller_id, kind: 'call' }, tx);
        }
        after.wallets.push(c.caller_id);
      }
    }
    return this.d.store.end(tx, c.id, reason, by, at);
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

  private async afterCommit(a: AfterCommit): Promise<void> {
    if (a.wallets.length) this.d.ledger.notify(a.wallets);
    if (a.nextTick) {
      const { callId, minute, at } = a.nextTick;
      await this.d.jobs.enqueue('calls.tick', { callId, minute }, { jobId: `call:${callId}:tick:${minute}`, delayMs: Math.max(0, at - Date.now()) });
    }
    if (a.ended) {
      const { call, reason } = a.ended;
      if (call.sfu_instance !== null && call.sfu_room !== null) {
        await this.d.rooms.destroy({ instance: call.sfu_instance, roomId: Number(call.sfu_room) }, { callId: call.id });
      }
      this.d.realtime.toUsers([call.caller_id, call.callee_id], 'call:ended', { call: toCallView(call), reason });
    }
  }
}
