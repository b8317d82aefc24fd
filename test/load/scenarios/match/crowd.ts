import { randomUUID } from 'node:crypto';
import type { MatchFound } from '../../../../shared/match.js';
import { connect, newUser, type ClientSocket } from '../../../support/client.js';
import { LatencyRecorder, type LatencySummary } from '../../lib/recorder.js';
import { pool } from '../../lib/sessions.js';

/**
 * Random-match users cycling through the real socket protocol:
 *
 *   match:join (mode text; some users with one interest) ─► match:found
 *   ─► both send one chat:send on the session's conversationId
 *   ─► the "leader" (smaller user id), once its own message is acked and the
 *      peer's has arrived, skips (match:next: it is requeued at once);
 *      the other side gets match:ended and joins again (match:join)
 *   ─► and over again.
 *
 * Time to pair is measured on the client from the emit of match:join or
 * match:next to the arrival of match:found. A user that receives match:found
 * while its current session has not ended for it (it has not skipped and has
 * not been told match:ended) is a double pairing.
 */

export interface CrowdUser {
  url: string;
  token: string;
  userId: string;
}

export interface CrowdOptions {
  /** Ack timeout, and how long a session may take before its user skips anyway. */
  timeoutMs: number;
  /** Share of users who join with one interest (of INTERESTS). */
  interestShare: number;
  /**
   * At most this many chat:send in flight per node (0 = no cap). Pairly's ChatService.send looks
   * up the recipient (priceFor → users.findById) on the pool while it holds a pool client for its
   * transaction and the conversation's row lock. When every client of the node's pool
   * (DATABASE_POOL_SIZE, default 10) is held by such a transaction or by a statement waiting for
   * its row lock (the peer's send, match:next's endSession), nothing can proceed and the pool
   * deadlocks for good. A cap of 4 keeps the loop measuring matching rather than that bug.
   */
  chatInflightPerNode: number;
  /** Called once the first time a code is seen (e.g. to warn about RATE_LIMITED). */
  onNewErrorCode?(code: string, message: string): void;
}

export const INTERESTS = ['music', 'movies', 'games', 'travel'];

/** Signs up `n` users, user i on urls[i % urls.length] (every node shares the database). */
export async function signUpCrowd(urls: string[], n: number, concurrency: number): Promise<CrowdUser[]> {
  return pool(n, concurrency, async (i) => {
    const url = urls[i % urls.length]!;
    const u = await newUser(url, { displayName: `Match ${i}` });
    return { url, token: u.accessToken, userId: u.user.id };
  });
}

interface Session {
  id: string;
  conversationId: string;
  peerId: string;
  leader: boolean;
  sentDone: boolean;
  peerMessage: boolean;
  timer: NodeJS.Timeout;
}

/** A counting semaphore (FIFO). */
class Gate {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.limit > 0 && this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

interface Member {
  i: number;
  gate: Gate;
  userId: string;
  socket: ClientSocket;
  interests: string[];
  state: 'idle' | 'waiting' | 'in_session';
  waitStart: number;
  session: Session | undefined;
  retry: NodeJS.Timeout | undefined;
}

export interface CrowdSnapshot {
  waiting: number;
  inSession: number;
  /** match:found events since the last snapshot (two per pair). */
  found: number;
  ttpP99: number;
  errors: number;
  doublePairings: number;
}

export interface CrowdResult {
  users: number;
  windowS: number;
  /** Pairs whose match:found reached a client in the window (found events ÷ 2). */
  pairs: number;
  pairsPerS: number;
  messagesPerS: number;
  skipsPerS: number;
  ttp: LatencySummary;
  ttpWithInterests: LatencySummary;
  ttpWithout: LatencySummary;
  /** Longest wait: the largest time-to-pair in the window, or a wait still open at its end if longer. */
  longestWaitMs: number;
  /** Users still waiting at the end of the window. */
  waitingAtEnd: number;
  errors: number;
  errorCodes: Record<string, number>;
  doublePairings: number;
  /** Sessions (of the whole run) that reached only one of their two users. */
  halfDelivered: number;
  /** Sessions that lasted longer than the session timeout (the user skipped anyway). */
  sessionTimeouts: number;
}

export class MatchCrowd {
  private members: Member[] = [];
  private measuring = false;
  private stopped = false;
  private readonly ttp = new LatencyRecorder();
  private readonly ttpI = new LatencyRecorder();
  private readonly ttpN = new LatencyRecorder();
  private readonly tick = new LatencyRecorder(1 << 12);
  private foundInWindow = 0;
  private foundTick = 0;
  private messagesInWindow = 0;
  private skipsInWindow = 0;
  private errors = 0;
  private errorsTotal = 0;
  private readonly errorCodes = new Map<string, number>();
  private readonly seenCodes = new Set<string>();
  private doubles = 0;
  private timeouts = 0;
  private windowStart = 0;
  private windowEnd = 0;
  /** sessionId → users who received its match:found, and when the first did. */
  private readonly sessions = new Map<string, { users: number; at: number }>();

  constructor(private readonly o: CrowdOptions) {}

  /** Connects one socket per user (websocket transport, no reconnection). */
  async connect(users: CrowdUser[], concurrency: number): Promise<void> {
    const sockets = await pool(users.length, concurrency, (i) => connect(users[i]!.url, users[i]!.token));
    const gates = new Map<string, Gate>();
    const gateOf = (url: string) => gates.get(url) ?? gates.set(url, new Gate(this.o.chatInflightPerNode)).get(url)!;
    this.members = users.map((u, i) => ({
      i,
      gate: gateOf(u.url),
      userId: u.userId,
      socket: sockets[i]!,
      interests: Math.random() < this.o.interestShare ? [INTERESTS[i % INTERESTS.length]!] : [],
      state: 'idle',
      waitStart: 0,
      session: undefined,
      retry: undefined,
    }));
    for (const m of this.members) this.wire(m);
  }

  get size(): number {
    return this.members.length;
  }

  /** Everyone joins the queue. */
  start(): void {
    for (const m of this.members) this.join(m);
  }

  beginWindow(): void {
    this.measuring = true;
    this.windowStart = performance.now();
    this.foundInWindow = this.messagesInWindow = this.skipsInWindow = this.errors = this.doubles = this.timeouts = 0;
    this.errorCodes.clear();
    this.ttp.reset();
    this.ttpI.reset();
    this.ttpN.reset();
  }

  endWindow(): CrowdResult {
    this.measuring = false;
    this.windowEnd = performance.now();
    const windowS = (this.windowEnd - this.windowStart) / 1000;
    const now = this.windowEnd;
    const open = this.members.filter((m) => m.state === 'waiting');
    const longestOpen = open.reduce((mx, m) => Math.max(mx, now - m.waitStart), 0);
    const ttp = this.ttp.summary();
    const pairs = this.foundInWindow / 2;
    return {
      users: this.members.length,
      windowS,
      pairs,
      pairsPerS: pairs / windowS,
      messagesPerS: this.messagesInWindow / windowS,
      skipsPerS: this.skipsInWindow / windowS,
      ttp,
      ttpWithInterests: this.ttpI.summary(),
      ttpWithout: this.ttpN.summary(),
      longestWaitMs: Math.max(ttp.max, longestOpen),
      waitingAtEnd: open.length,
      errors: this.errors,
      errorCodes: Object.fromEntries(this.errorCodes),
      doublePairings: this.doubles,
      halfDelivered: 0,
      sessionTimeouts: this.timeouts,
    };
  }

  /** Once a second for the live line. */
  snapshot(): CrowdSnapshot {
    let waiting = 0;
    let inSession = 0;
    for (const m of this.members) {
      if (m.state === 'waiting') waiting++;
      else if (m.state === 'in_session') inSession++;
    }
    const s = { waiting, inSession, found: this.foundTick, ttpP99: this.tick.percentile(99), errors: this.errorsTotal, doublePairings: this.doubles };
    this.foundTick = 0;
    this.tick.reset();
    return s;
  }

  /**
   * Disconnects everyone (the server takes them out of the queue and ends
   * their sessions) and returns how many sessions reached only one user,
   * leaving out those found in the last `graceMs` before the stop.
   */
  async close(graceMs = 2000): Promise<number> {
    this.stopped = true;
    const stopAt = performance.now();
    for (const m of this.members) {
      clearTimeout(m.retry);
      if (m.session) clearTimeout(m.session.timer);
    }
    await Promise.all(
      this.members.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (!m.socket.connected) return resolve();
            const t = setTimeout(resolve, 2000);
            m.socket.once('disconnect', () => {
              clearTimeout(t);
              resolve();
            });
            m.socket.close();
          }),
      ),
    );
    let half = 0;
    for (const s of this.sessions.values()) if (s.users !== 2 && s.at < stopAt - graceMs) half++;
    return half;
  }

  private error(code: string, message: string): void {
    // Acks cut short by our own disconnects at the end are not the server's errors.
    if (this.stopped) return;
    this.errorsTotal++;
    if (this.measuring) {
      this.errors++;
      this.errorCodes.set(code, (this.errorCodes.get(code) ?? 0) + 1);
    }
    if (!this.seenCodes.has(code)) {
      this.seenCodes.add(code);
      this.o.onNewErrorCode?.(code, message);
    }
  }

  private wire(m: Member): void {
    m.socket.on('match:found', (f: MatchFound) => this.found(m, f));
    m.socket.on('chat:message', (msg) => {
      const s = m.session;
      if (!s || msg.conversationId !== s.conversationId || msg.senderId === m.userId) return;
      s.peerMessage = true;
      this.advance(m, s);
    });
    m.socket.on('match:ended', ({ sessionId }) => {
      const s = m.session;
      if (!s || s.id !== sessionId) return;
      this.endSession(m);
      this.join(m);
    });
    m.socket.on('disconnect', () => {
      if (!this.stopped) this.error('DISCONNECTED', 'socket disconnected');
    });
  }

  private found(m: Member, f: MatchFound): void {
    const now = performance.now();
    const rec = this.sessions.get(f.sessionId);
    if (rec) rec.users++;
    else this.sessions.set(f.sessionId, { users: 1, at: now });
    if (this.stopped) return;
    if (m.state === 'in_session') {
      // Paired again while the previous session is still on for this user.
      this.doubles++;
      this.endSession(m);
    } else if (m.state === 'waiting') {
      const ms = now - m.waitStart;
      this.tick.record(ms);
      if (this.measuring) {
        this.ttp.record(ms);
        (m.interests.length ? this.ttpI : this.ttpN).record(ms);
      }
    }
    this.foundTick++;
    if (this.measuring) this.foundInWindow++;
    clearTimeout(m.retry);
    const s: Session = {
      id: f.sessionId,
      conversationId: f.conversationId,
      peerId: f.peer.userId,
      leader: m.userId < f.peer.userId,
      sentDone: false,
      peerMessage: false,
      timer: setTimeout(() => {
        if (m.session !== s || this.stopped) return;
        if (this.measuring) this.timeouts++;
        this.skip(m);
      }, this.o.timeoutMs),
    };
    m.session = s;
    m.state = 'in_session';
    m.gate
      .run(() => m.socket.timeout(this.o.timeoutMs).emitWithAck('chat:send', { conversationId: f.conversationId, clientId: randomUUID(), body: `hello from ${m.i}` }))
      .then(
        (res) => {
          if (res.ok) {
            if (this.measuring) this.messagesInWindow++;
          } else this.error(res.error.code, res.error.message);
        },
        () => this.error('TIMEOUT', `chat:send: no ack within ${this.o.timeoutMs} ms`),
      )
      .finally(() => {
        s.sentDone = true;
        this.advance(m, s);
      });
  }

  private advance(m: Member, s: Session): void {
    if (m.session === s && s.leader && s.sentDone && s.peerMessage) this.skip(m);
  }

  private endSession(m: Member): void {
    if (m.session) clearTimeout(m.session.timer);
    m.session = undefined;
    m.state = 'idle';
  }

  /** match:next: ends the session (the peer is told) and requeues this user. */
  private skip(m: Member): void {
    if (this.stopped) return;
    this.endSession(m);
    m.state = 'waiting';
    m.waitStart = performance.now();
    if (this.measuring) this.skipsInWindow++;
    this.emitQueue(m, 'match:next');
  }

  private join(m: Member): void {
    if (this.stopped) return;
    m.state = 'waiting';
    m.waitStart = performance.now();
    this.emitQueue(m, 'match:join');
  }

  private emitQueue(m: Member, event: 'match:join' | 'match:next'): void {
    const waitStart = m.waitStart;
    const ack =
      event === 'match:join'
        ? m.socket.timeout(this.o.timeoutMs).emitWithAck('match:join', { mode: 'text', ...(m.interests.length ? { interests: m.interests } : {}) })
        : m.socket.timeout(this.o.timeoutMs).emitWithAck('match:next', {});
    ack.then(
      (res) => {
        if (res.ok) {
          if (res.state === 'in_session') this.error('IN_SESSION', `${event} answered in_session`);
          return;
        }
        this.error(res.error.code, `${event}: ${res.error.message}`);
        // Not queued: try again in a second (match:next when there is no session to end is NOT_FOUND: join then).
        if (m.state === 'waiting' && m.waitStart === waitStart && !this.stopped) {
          m.retry = setTimeout(() => {
            if (m.state === 'waiting' && m.waitStart === waitStart && !this.stopped) this.emitQueue(m, res.error.code === 'NOT_FOUND' ? 'match:join' : event);
          }, 1000);
        }
      },
      () => this.error('TIMEOUT', `${event}: no ack within ${this.o.timeoutMs} ms`),
    );
  }
}
