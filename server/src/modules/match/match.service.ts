/*
 * Random matches across the cluster.
 *
 *   match:join (node X) ──► Lua join: user hash + waiting zset + bucket/interest indexes; due for a look-up
 *        └─► pair now ──► Lua pair: each due user's look-up in the indexes that fit them, atomic over
 *                         all nodes; each user in at most one session (no matcher to elect or lose)
 *   every PAIR_INTERVAL on every node ──► pair (interest-first, anyone after the fall-back wait)
 *   a pairing ──► PostgreSQL session + 'match' conversation ──► match:found to both users' rooms
 *   match:next / match:leave / disconnect ──► Lua end (cooldown both ways) ──► match:ended to the peer
 *   a node dies ──► the presence reaper ends the sessions of its queued users; a pairing it made and never
 *                   recorded is ended by the users' own nodes (sweepOrphans, every 10 s, seen twice)
 *   match:snapshot (video) ──► classifier on this node ──► nude: the sender leaves (reason nudity, flagged in
 *                              moderation_verdicts) ──► match:ended to both
 */
import { randomUUID } from 'node:crypto';
import type { Verdict, VerdictReason } from '../../../../shared/moderation.js';
import type { ModerationService } from '../moderation/moderation.service.js';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { CallMedia } from '../../../../shared/calls.js';
import type { MediaView } from '../../../../shared/media.js';
import { MATCH_MODES, type MatchEndReason, type MatchMode, type MatchPeer } from '../../../../shared/match.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { rateLimited } from '../../ratelimit.js';
import type { Realtime } from '../../realtime/realtime.js';
import type { Database } from '../../db/database.js';
import type { ChatService } from '../chat/chat.service.js';
import type { MatchQueue } from './match.queue.js';
import type { MatchStore, PeerRow } from './match.store.js';
import { pricesFor } from '../../prices.js';
import type { SfuController } from '../../../../shared/sfu.js';
import type { SfuRooms } from '../rooms/sfu-rooms.js';

/** The peer as one user sees them: the interests they joined with first, then their profile's; prices from the viewer's side. */
function peerView(viewerRole: string, peer: PeerRow, joinedWith: string[], photo: MediaView | null): MatchPeer {
  return {
    photo,
    userId: peer.id,
    displayName: peer.display_name,
    age: peer.age,
    gender: peer.gender,
    interests: [...new Set([...joinedWith, ...peer.interests])],
    ...pricesFor(viewerRole, peer),
  };
}

/** How often a node looks for its users' pairings that were never recorded (a dead node's). */
const ORPHAN_SWEEP_MS = 10_000;

export class MatchService {
  private timer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Sessions the last orphan sweep found without a row. */
  private suspects = new Set<string>();
  private pairing: Partial<Record<MatchMode, Promise<void>>> = {};
  private readonly again: Partial<Record<MatchMode, boolean>> = {};
  /** Who joined through this node's sockets and has not left: queued again if Redis loses the queue (rejoinLocal). */
  private readonly local = new Map<string, { socketId: string; input: { mode: MatchMode; interests?: string[] } }>();

  constructor(
    private readonly d: {
      db: Database;
      queue: MatchQueue;
      store: MatchStore;
      /** Chat owns conversations: each session's is opened and closed through it, in the session's transaction. */
      chat: Pick<ChatService, 'openMatchIn' | 'closeIn' | 'transcript'>;
      realtime: Realtime;
      logger: Logger;
      skipLimiter: RateLimiterAbstract;
      /** Snapshots per user (one every few seconds is what the web client sends). */
      snapshotLimiter: RateLimiterAbstract;
      /** Trust and safety's classifier and policy for the snapshots of video sessions. */
      moderation: Pick<ModerationService, 'image'>;
      pairIntervalMs: number;
      pairsPerPass?: number;
      /** Video sessions get a room on it; without one, video mode is refused. */
      sfu?: SfuController;
      /** Destroys rooms, retrying through a job when their Janus does not answer. */
      rooms?: Pick<SfuRooms, 'destroy'>;
      /** TURN relays with fresh credentials for a user (video sessions get them as calls do). */
      iceServers?: (userId: string) => CallMedia['iceServers'];
      /** Each user's avatar as anyone sees it (profiles' rule), for the match card. */
      avatars?: (userIds: string[]) => Promise<Map<string, MediaView | null>>;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      for (const mode of MATCH_MODES) void this.pairNow(mode);
    }, this.d.pairIntervalMs);
    this.timer.unref();
    this.sweepTimer = setInterval(() => {
      this.sweepOrphans().catch((err) => this.d.logger.warn({ err }, 'match orphan sweep failed'));
    }, ORPHAN_SWEEP_MS);
    this.sweepTimer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
  }

  /**
   * A pairing is made in Redis and then recorded in PostgreSQL by the node that made it. Should that node
   * die between the two, its users are cleaned up by the presence reaper only if they were queued through
   * it; two users of surviving nodes would sit in a session nobody ever showed them. Each node looks at its
   * own users' sessions: one still without a row a whole sweep after it was first seen so is ended in the
   * queue (only that session: the guard) and both users go back into the queue. A pass still recording it
   * finds it ended (inSession) and ends its row itself.
   */
  async sweepOrphans(): Promise<number> {
    // One entry per session (both users may be queued through this node).
    const open = [...new Map((await this.d.queue.sessionsHere()).map((o) => [o.sessionId, o])).values()];
    const recorded = open.length ? await this.d.store.recordedSessions(open.map((o) => o.sessionId)) : new Set<string>();
    const seen = new Set<string>();
    let ended = 0;
    for (const o of open) {
      if (recorded.has(o.sessionId)) continue;
      if (!this.suspects.has(o.sessionId)) {
        seen.add(o.sessionId);
        continue;
      }
      for (const u of [o.userId, o.peerId]) await this.d.queue.end(u, Date.now(), 'requeue', undefined, o.sessionId);
      this.d.logger.warn({ session: o.sessionId, users: [o.userId, o.peerId] }, 'match pairing never recorded (its node died?): both requeued');
      ended++;
    }
    this.suspects = seen;
    if (ended) for (const mode of MATCH_MODES) void this.pairNow(mode);
    return ended;
  }

  async join(userId: string, socketId: string, input: { mode: MatchMode; interests?: string[] }): Promise<{ state: 'queued' | 'in_session'; sessionId?: string }> {
    if (input.mode === 'video' && !this.d.sfu) throw new AppError('SFU_UNAVAILABLE', 'video matches need an SFU, which is not set up here');
    const p = await this.d.store.profile(userId);
    if (!p) throw new AppError('NOT_FOUND', 'no such user');
    // Never queued, so never paired: the only way into a random match is this join.
    if (!p.random_matches) throw new AppError('FORBIDDEN', 'your page is set to take no random matches', { details: { reason: 'random_matches_off' } });
    const result = await this.d.queue.join(
      {
        userId,
        mode: input.mode,
        socketId,
        interests: [...new Set(input.interests ?? [])],
        gender: p.gender,
        age: p.age,
        seeks: p.seeks,
        ageMin: p.age_min,
        ageMax: p.age_max,
        blocked: p.blocked,
      },
      Date.now(),
    );
    this.local.set(userId, { socketId, input });
    if (result.state === 'pending') {
      // A session of theirs ended a moment ago and its end may not be written yet (a double tap racing
      // a skip, or the skipping node died): record it before they can be paired again. Whose end it
      // was is the skipper's to record; this is the fall-back, so the reason is the generic one.
      await this.closeSession(result.sessionId, result.peerId, result.peerId ? userId : null, result.peerId ? 'skip' : 'leave');
      // Unless a later session's end is pending by now (a double tap's second join, answered after the
      // first was requeued, paired and skipped again): that one's recorder requeues them.
      await this.d.queue.requeueIfIdle(userId, result.sessionId);
    }
    if (result.state === 'in_session') return result;
    void this.pairNow(input.mode);
    return { state: 'queued' };
  }

  /**
   * After Redis lost its data (restarted empty, flushed; presence's rebuild
   * tells us), the queue no longer knows who waits: everyone who joined
   * through this node and has not left joins again. A join is idempotent: a
   * user the queue still has stays where they are (or in their session).
   */
  async rejoinLocal(): Promise<void> {
    let rejoined = 0;
    for (const [userId, e] of [...this.local]) {
      try {
        const r = await this.join(userId, e.socketId, e.input);
        if (r.state === 'queued') rejoined++;
      } catch (err) {
        this.d.logger.warn({ err, userId }, 'match: could not queue a user again');
      }
    }
    if (this.local.size) this.d.logger.warn({ users: this.local.size, queued: rejoined }, 'match: the queue was rebuilt from this node\'s users');
  }

  /** Skip: ends the session (the peer is told), and requeues the user at the back. Rate limited. */
  async next(userId: string): Promise<{ state: 'queued' | 'in_session'; sessionId?: string }> {
    await this.d.skipLimiter.consume(userId).catch((err) => {
      throw rateLimited(err, 'you are skipping too fast');
    });
    // Parked until the session's end is written, so no pass pairs the skipper into a new session
    // while the old one still looks open in the database.
    const r = await this.d.queue.end(userId, Date.now(), 'park');
    if (!r.ended) throw new AppError('NOT_FOUND', 'you are not in the queue; match:join first');
    try {
      await this.closeSession(r.sessionId, r.peerId, userId, 'skip');
    } finally {
      await this.d.queue.requeueIfIdle(userId, r.sessionId);
    }
    for (const mode of MATCH_MODES) void this.pairNow(mode);
    return { state: 'queued' };
  }

  async leave(userId: string, reason: MatchEndReason = 'leave', onlySocket?: string): Promise<{ left: boolean }> {
    if (!onlySocket || this.local.get(userId)?.socketId === onlySocket) this.local.delete(userId);
    const r = await this.d.queue.end(userId, Date.now(), 'leave', onlySocket);
    await this.closeSession(r.sessionId, r.peerId, userId, reason);
    return { left: r.ended };
  }

  /** After a node died: its queued users leave, their peers are told. */
  async purgeNode(nodeId: string): Promise<void> {
    for (const userId of await this.d.queue.usersOfNode(nodeId)) await this.leave(userId, 'disconnect');
  }

  /**
   * A picture of the sender's own camera in a video session. Nude: the session ends for both (`nudity`),
   * the sender leaves the queue, and the verdict is kept as the flag admins and reports read. Unreadable
   * bytes are a `block` verdict in the answer and end nothing (a broken encoder is not an offence).
   * Classified on this node (about 70 ms each, one at a time), so it is rate limited per user.
   */
  async snapshot(userId: string, input: { sessionId: string; image: string }): Promise<{ verdict: Verdict; reasons: VerdictReason[]; ended: boolean }> {
    await this.d.snapshotLimiter.consume(userId).catch((err) => {
      throw rateLimited(err, 'snapshots come every few seconds, not faster');
    });
    const s = await this.d.store.session(input.sessionId);
    if (!s || (s.user_a !== userId && s.user_b !== userId)) throw new AppError('NOT_FOUND', 'no such session');
    if (s.ended_at) throw new AppError('CONVERSATION_CLOSED', 'this session has ended');
    if (s.mode !== 'video') throw new AppError('VALIDATION_FAILED', 'snapshots are for video sessions');
    const bytes = Buffer.from(input.image, 'base64');
    const nude = (d: { reasons: VerdictReason[] }) => d.reasons.includes('nudity');
    const v = await this.d.moderation.image({ kind: 'snapshot', id: s.id, userId }, 'random_snapshot', bytes, nude);
    if (!nude(v)) return { verdict: v.verdict, reasons: v.reasons, ended: false };
    await this.leave(userId, 'nudity');
    // The sender's own devices are told too: they did not choose to leave.
    this.d.realtime.toUser(userId, 'match:ended', { sessionId: s.id, reason: 'nudity' });
    return { verdict: v.verdict, reasons: v.reasons, ended: true };
  }

  /** A random session as a report keeps it: the other person and the whole transcript. */
  async reportSnapshot(userId: string, sessionId: string): Promise<{ reportedId: string; content: Record<string, unknown> }> {
    const s = await this.d.store.session(sessionId);
    if (!s || (s.user_a !== userId && s.user_b !== userId)) throw new AppError('NOT_FOUND', 'no such session');
    const transcript = await this.d.chat.transcript(s.conversation_id);
    return { reportedId: s.user_a === userId ? s.user_b : s.user_a, content: { transcript } };
  }

  sizes() {
    return this.d.queue.sizes();
  }

  /**
   * One pairing pass per mode at a time on this node (other nodes may run theirs: the script is atomic).
   * A call while a pass runs asks for one more right after it (the join that called may have come too
   * late for the running pass's look-ups), and a pass that used all its session ids is followed by
   * another at once: more may be due. Otherwise a newcomer could wait for the timer.
   */
  pairNow(mode: MatchMode): Promise<void> {
    if (this.pairing[mode]) {
      this.again[mode] = true;
      return this.pairing[mode]!;
    }
    this.pairing[mode] = (async () => {
      let full: boolean;
      do {
        this.again[mode] = false;
        full = await this.pass(mode);
      } while (full || this.again[mode]);
    })()
      .catch((err) => this.d.logger.error({ err, mode }, 'match pairing failed'))
      .finally(() => delete this.pairing[mode]);
    return this.pairing[mode]!;
  }

  /** Whether it used every session id it had. */
  private async pass(mode: MatchMode): Promise<boolean> {
    const ids = Array.from({ length: this.d.pairsPerPass ?? 50 }, () => randomUUID());
    const pairs = await this.d.queue.pair(mode, Date.now(), ids);
    if (pairs.length === 0) return false;
    const userIds = pairs.flatMap((p) => [p.userId, p.peerId]);
    const peers = await this.d.store.peers(userIds);
    // A match without pictures beats no match: a failed look-up only leaves them out.
    const avatars = (await this.d.avatars?.(userIds).catch((err: unknown) => void this.d.logger.warn({ err }, 'match photos not available'))) ?? new Map<string, MediaView | null>();
    const photo = (id: string) => avatars.get(id) ?? null;
    await Promise.all(
      pairs.map(async (p) => {
        try {
          const conversationId = await this.d.db.transaction(async (tx) => {
            const id = await this.d.chat.openMatchIn(tx, p.userId, p.peerId);
            await this.d.store.createSession(tx, { id: p.sessionId, mode, a: p.userId, b: p.peerId, common: p.commonInterests, conversationId: id });
            return id;
          });
          // One of them may have skipped, left or disconnected since the pairing: that ended the session in
          // the queue, maybe before this row existed. The row is ended here, nobody is told of the session
          // (clients ignore a match:ended for a session they never saw), and whoever is still waiting goes
          // back to their place in the queue. A leave after this check finds the row and ends it itself.
          if (!(await this.d.queue.inSession(p.sessionId, [p.userId, p.peerId]))) {
            await this.endSession(p.sessionId, 'leave', null);
            for (const u of [p.userId, p.peerId]) await this.d.queue.requeueIfIdle(u, p.sessionId);
            return; // the next pass pairs them
          }
          const room = mode === 'video' && this.d.sfu ? await this.d.sfu.createRoom(p.sessionId, [p.userId, p.peerId]) : undefined;
          if (room && !(await this.d.store.setRoom(p.sessionId, room.instance, room.roomId))) {
            await this.d.rooms?.destroy(room, { sessionId: p.sessionId });
            return;
          }
          const media = (u: string) => (room ? { media: { clientUrl: room.clientUrl, roomId: room.roomId, token: room.tokens[u]!, iceServers: this.d.iceServers?.(u) ?? [] } } : {});
          const base = { sessionId: p.sessionId, mode, conversationId, messagesFree: true as const, commonInterests: p.commonInterests };
          const a = peers.get(p.userId)!;
          const b = peers.get(p.peerId)!;
          this.d.realtime.toUser(p.userId, 'match:found', { ...base, ...media(p.userId), peer: peerView(a.role, b, p.peerInterests, photo(p.peerId)) });
          this.d.realtime.toUser(p.peerId, 'match:found', { ...base, ...media(p.peerId), peer: peerView(b.role, a, p.userInterests, photo(p.userId)) });
        } catch (err) {
          // Without its session row the pairing cannot be used: put both back in the queue. Only this pairing
          // ends: one of them may have skipped it meanwhile and be in a newer session, which stays.
          this.d.logger.error({ err, session: p.sessionId }, 'could not record a match session');
          for (const u of [p.userId, p.peerId]) await this.d.queue.end(u, Date.now(), 'requeue', undefined, p.sessionId);
        }
      }),
    );
    return pairs.length === ids.length;
  }

  private async closeSession(sessionId: string | null, peerId: string | null, by: string | null, reason: MatchEndReason): Promise<void> {
    if (!sessionId) return;
    const ended = await this.endSession(sessionId, reason, by);
    if (ended?.sfu_instance && ended.sfu_room !== null) {
      // The room goes with the session: the strangers' media really stops.
      await this.d.rooms?.destroy({ instance: ended.sfu_instance, roomId: Number(ended.sfu_room) }, { sessionId });
    }
    // Told by whichever call ended the row: a second call for the same session (a double skip, a
    // clean-up after the skipping node died) does not tell them twice, and a peer who skipped it
    // themselves first needs no telling.
    if (!peerId) return;
    if (ended) this.d.realtime.toUser(peerId, 'match:ended', { sessionId, reason });
    else if (!(await this.d.store.session(sessionId))) {
      // Paired in the queue but never recorded, so never shown to the peer (the pairing node died, or
      // this end overtook its pass): they are still waiting as far as they know, so back to their place.
      if (await this.d.queue.requeueIfIdle(peerId, sessionId)) for (const mode of MATCH_MODES) void this.pairNow(mode);
    }
  }

  /** Ends the session and closes its conversation, in one transaction; undefined when it had already ended. */
  private endSession(sessionId: string, reason: MatchEndReason, by: string | null) {
    return this.d.db.transaction(async (tx) => {
      const ended = await this.d.store.endSession(tx, sessionId, reason, by);
      if (ended) await this.d.chat.closeIn(tx, ended.conversation_id);
      return ended;
    });
  }
}
