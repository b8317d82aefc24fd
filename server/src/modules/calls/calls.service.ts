/*
 * A call's life (its minutes are metered by calls.metering.ts; its room's media
 * is watched by the media sweep, rooms/rooms.sweep.ts).
 *
 *   call:invite ──► calls row 'ringing' (+ one-call-per-user rows) ──► call:ringing to the callee's devices
 *        └─ job calls.ring-timeout after CALL_RING_SECONDS ──► 'no_answer'
 *   call:accept (one device wins: ringing → connecting under the row lock)
 *        ──► SFU room on the least-loaded Janus ──► hold minute 1 ──► 'active'
 *        ──► call:accepted (media credentials) to the caller; call:elsewhere to the callee's other devices
 *   end (hang-up, decline, cancel, timeout, credits, media, server lost):
 *        the minute in progress is settled by metering; the room is destroyed
 *        (its media really stops; retried by a job while its Janus does not
 *        answer); call:ended to both.
 *   media sweep: calls stuck ringing or connecting (their job lost, a node
 *        that died mid-accept) are ended here.
 *
 * Every step locks the call's row first, so ticks and hang-ups of one call
 * never interleave, whichever node or worker runs them.
 */
import type { Notify } from '../notifications/notifications.service.js';
import { randomUUID } from 'node:crypto';
import type { CallEndReason, CallMedia, CallView } from '../../../../shared/calls.js';
import type { SfuController } from '../../../../shared/sfu.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { SfuRooms } from '../rooms/sfu-rooms.js';
import type { SafetyStore } from '../safety/safety.store.js';
import type { UsersStore } from '../users/users.store.js';
import type { CallsMetering } from './calls.metering.js';
import { toCallView, type CallRow, type CallsStore } from './calls.store.js';
import { turnCredentials } from './turn.js';
import { assertPriceShown, priceFor } from '../../prices.js';
import type { EventRecorder } from '../analytics/analytics.recorder.js';

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

/** What a committed step still has to do: wallets to push, the next tick to schedule, an end to announce. */
export interface AfterCommit {
  ended?: { call: CallRow; reason: CallEndReason };
  nextTick?: { callId: string; minute: number; at: number };
  wallets: string[];
}

export class CallsService {
  constructor(
    private readonly d: {
      db: Database;
      store: CallsStore;
      users: UsersStore;
      safety: SafetyStore;
      /** Refuses a caller the callee's consent rule leaves out (chat's: MATCH_REQUIRED). */
      consent: (callerId: string, calleeId: string) => Promise<void>;
      ledger: Pick<LedgerService, 'balance' | 'notify' | 'options'>;
      realtime: Realtime;
      jobs: JobQueue;
      metering: Pick<CallsMetering, 'holdFirstMinute' | 'dueTick' | 'settle' | 'schedule'>;
      sfu: SfuController | undefined;
      rooms: Pick<SfuRooms, 'destroy'>;
      logger: Logger;
      options: CallsOptions;
      /** A call the callee never answered (no answer, or the caller gave up) is a missed call. */
      notify?: Notify;
      /** Product analytics events, recorded after the commit. */
      events?: EventRecorder;
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
    await this.d.consent(callerId, calleeId);
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
    const call = toCallView(row, this.d.options.minuteSeconds);
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
        const held = await this.d.metering.holdFirstMinute(tx, c);
        if (!held) {
          after.ended = { call: await this.d.store.end(tx, callId, 'insufficient_credits', null, new Date()), reason: 'insufficient_credits' };
          return after.ended.call;
        }
        after.wallets.push(c.caller_id);
      }
      const active = await this.d.store.setState(tx, callId, 'active', { instance: room.instance, room: room.roomId });
      after.nextTick = this.d.metering.dueTick(active, 1);
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
    const view = toCallView(call, this.d.options.minuteSeconds);
    const media = (participant: string): CallMedia => this.media(room, participant);
    this.d.realtime.toUser(call.caller_id, 'call:accepted', { call: view, media: media(call.caller_id) });
    this.d.realtime.toUsers([userId], 'call:elsewhere', { callId }, { exceptSocketId: socketId });
    this.d.events?.record('call', call.caller_id, { callId, calleeId: call.callee_id, pricePerMinute: call.price_per_minute });
    return { call: view, media: media(userId) };
  }

  /** Another device of a participant takes the active call over: it gets the participant's media credentials. */
  async takeover(userId: string, callId: string, socketId?: string): Promise<{ call: CallView; media: CallMedia }> {
    const c = await this.d.store.get(callId);
    if (!c || (c.caller_id !== userId && c.callee_id !== userId)) throw new AppError('NOT_FOUND', 'no such call');
    if (c.state !== 'active' || c.sfu_instance === null || c.sfu_room === null) throw new AppError('CALL_NOT_ACTIVE', 'this call is not active');
    const room = await this.sfu.createRoom(callId, [c.caller_id, c.callee_id]); // idempotent: the same room and tokens
    this.d.realtime.toUsers([userId], 'call:elsewhere', { callId }, { exceptSocketId: socketId });
    return { call: toCallView(c, this.d.options.minuteSeconds), media: this.media(room, userId) };
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
    return { call: toCallView(await this.endCall(callId, reason, userId), this.d.options.minuteSeconds) };
  }

  /** Job: a call still ringing when its time is up was not answered. */
  async ringTimeout(callId: string): Promise<void> {
    const c = await this.d.store.get(callId);
    if (c?.state === 'ringing') await this.endCall(callId, 'no_answer', null);
  }

  /**
   * Calls that never got past ringing or connecting: a ring-timeout job that
   * was lost, or a node that died in the middle of an accept. Ringing past
   * its time ends as no_answer (what the job would have done); connecting
   * for a minute longer than that ends as media_failure (nothing was billed:
   * the first hold is placed only on the way to active). Run by the media sweep.
   */
  async endStuck(now: Date): Promise<void> {
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
        ...toCallView(c, this.d.options.minuteSeconds),
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

  /** Ends a call whose row `tx` holds locked (metering ends calls from inside its tick); `after` runs once committed. */
  async endLocked(tx: Queryable, c: CallRow, reason: CallEndReason, by: string | null, at: Date, after: AfterCommit): Promise<CallRow> {
    if (await this.d.metering.settle(tx, c, at)) after.wallets.push(c.caller_id, c.callee_id);
    return this.d.store.end(tx, c.id, reason, by, at);
  }

  /** Once a step committed: wallets pushed, the next tick scheduled, an ended call's room destroyed and both sides told. */
  async afterCommit(a: AfterCommit): Promise<void> {
    if (a.wallets.length) this.d.ledger.notify(a.wallets);
    if (a.nextTick) await this.d.metering.schedule(a.nextTick);
    if (a.ended) {
      const { call, reason } = a.ended;
      if (call.sfu_instance !== null && call.sfu_room !== null) {
        await this.d.rooms.destroy({ instance: call.sfu_instance, roomId: Number(call.sfu_room) }, { callId: call.id });
      }
      this.d.realtime.toUsers([call.caller_id, call.callee_id], 'call:ended', { call: toCallView(call, this.d.options.minuteSeconds), reason });
      if (reason === 'no_answer' || reason === 'cancelled') {
        this.d.notify?.notifyLater(call.callee_id, { kind: 'missed_call', subject: call.caller_id, payload: { actorId: call.caller_id, link: `/u/${call.caller_id}` } });
      }
    }
  }
}
