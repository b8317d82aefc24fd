import type { MatchMode } from '../../../../shared/match.js';
import type { MatchQueue, Pairing, QueueEntry, QueueOptions } from './match.queue.js';

/** How many waiters a look-up reads from each index that fits, when QueueOptions.window is not given. */
export const DEFAULT_WINDOW = 32;

/** Members ordered by score, then id (as a Redis sorted set orders them). */
class Sorted {
  private readonly score = new Map<string, number>();
  private list: { id: string; s: number }[] = [];
  get size() {
    return this.list.length;
  }
  has(id: string) {
    return this.score.has(id);
  }
  private at(id: string, s: number) {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.list[mid]!;
      if (m.s < s || (m.s === s && m.id < id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  add(id: string, s: number) {
    this.delete(id);
    this.score.set(id, s);
    this.list.splice(this.at(id, s), 0, { id, s });
  }
  delete(id: string) {
    const s = this.score.get(id);
    if (s === undefined) return;
    this.score.delete(id);
    this.list.splice(this.at(id, s), 1);
  }
  /** The first half and the last half of `n` members. */
  window(n: number): string[] {
    const half = Math.floor(n / 2);
    if (this.list.length <= half || this.list.length <= n) return this.list.slice(0, n).map((m) => m.id);
    return [...this.list.slice(0, half), ...this.list.slice(this.list.length - Math.ceil(n / 2))].map((m) => m.id);
  }
  /** The lowest score. */
  first(): number | undefined {
    return this.list[0]?.s;
  }
  /** The first n members scored at or under max. */
  upTo(max: number, n: number): string[] {
    return this.list.slice(0, Math.min(n, this.at('\uffff', max))).map((m) => m.id);
  }
  /** Up to n of the lowest and n of the highest scores at or under `max`. */
  due(max: number, lowest: number, highest: number): string[] {
    const end = this.at('\uffff', max);
    const first = this.list.slice(0, Math.min(lowest, end)).map((m) => m.id);
    const seen = new Set(first);
    const last = this.list.slice(Math.max(0, end - highest), end).reverse().map((m) => m.id).filter((id) => !seen.has(id));
    return [...first, ...last];
  }
}

interface MemUser extends QueueEntry {
  joined: number;
  session?: string;
  peer?: string;
  /** A session the peer ended, until this user joins again (lua/match-end-1.lua says why). */
  ended?: string;
  /** This user's own skip, parked until its end is recorded (lua/match-end-1.lua). */
  closing?: { session: string; peer: string | null };
}

const bucketOf = (u: QueueEntry) => `${u.gender ?? ''}:${[...new Set(u.seeks)].sort().join(',')}:${u.interests.length ? 'i' : '-'}`;
const seeksGender = (seeks: string[], gender: string | null) => seeks.length === 0 || (gender !== null && seeks.includes(gender));

/**
 * The same rules and indexes as the Lua scripts (lua/match-pair-1.lua says how a look-up works), for
 * one process. JavaScript runs each call to the end: it is atomic too.
 */
export function createMemoryMatchQueue(opts: QueueOptions): MatchQueue {
  const win = opts.window ?? DEFAULT_WINDOW;
  const users = new Map<string, MemUser>();
  const waiting: Record<MatchMode, Sorted> = { text: new Sorted(), video: new Sorted() };
  const due: Record<MatchMode, Sorted> = { text: new Sorted(), video: new Sorted() };
  /** `${mode}|b|${bucket}` and `${mode}|i|${interest}|${bucket}` → waiters. */
  const indexes = new Map<string, Sorted>();
  const buckets: Record<MatchMode, Map<string, { gender: string | null; seeks: string[]; interests: boolean }>> = { text: new Map(), video: new Map() };
  const cooldown = new Map<string, number>(); // "a|b" -> until

  const indexOf = (key: string) => indexes.get(key) ?? indexes.set(key, new Sorted()).get(key)!;
  const keysOf = (u: MemUser) => [`${u.mode}|b|${bucketOf(u)}`, ...u.interests.map((i) => `${u.mode}|i|${i}|${bucketOf(u)}`)];
  function index(u: MemUser, dueAt: number) {
    waiting[u.mode].add(u.userId, u.joined);
    for (const k of keysOf(u)) indexOf(k).add(u.userId, u.joined);
    buckets[u.mode].set(bucketOf(u), { gender: u.gender, seeks: u.seeks, interests: u.interests.length > 0 });
    due[u.mode].add(u.userId, dueAt);
  }
  function unindex(u: MemUser) {
    waiting[u.mode].delete(u.userId);
    due[u.mode].delete(u.userId);
    for (const k of keysOf(u)) {
      const s = indexes.get(k);
      s?.delete(u.userId);
      if (s && s.size === 0) {
        indexes.delete(k);
        if (k.startsWith(`${u.mode}|b|`)) buckets[u.mode].delete(bucketOf(u));
      }
    }
  }
  const cooledUntil = (a: string, b: string) => Math.max(cooldown.get(`${a}|${b}`) ?? 0, cooldown.get(`${b}|${a}`) ?? 0);
  const accepts = (a: MemUser, b: MemUser) => seeksGender(a.seeks, b.gender) && b.age >= a.ageMin && b.age <= a.ageMax;

  function lookUp(a: MemUser, now: number, taken: Set<string>): { best?: MemUser; retry?: number } {
    let best: MemUser | undefined;
    let retry: number | undefined;
    const later = (t: number) => void (retry = retry === undefined ? t : Math.min(retry, t));
    /** The partner if it fits now; a cooldown in the way is noted for the retry. */
    const fits = (id: string): MemUser | undefined => {
      const b = users.get(id);
      if (id === a.userId || taken.has(id) || !b || b.session || a.blocked.includes(id) || b.blocked.includes(a.userId) || !accepts(a, b) || !accepts(b, a)) return undefined;
      const until = cooledUntil(a.userId, id);
      if (until > now) return void later(until);
      return b;
    };
    const scan = (list: { set: Sorted; all: boolean; head: number }[]) => {
      list.sort((x, y) => x.head - y.head);
      for (const f of list) {
        if (best && best.joined <= f.head) break;
        for (const id of f.all ? f.set.window(win) : f.set.upTo(cut, win)) {
          const b = fits(id);
          if (!b) continue;
          if (!best || b.joined < best.joined) best = b;
          break;
        }
      }
    };
    const cut = now - opts.fallbackMs;
    const fitting = [...buckets[a.mode]].filter(([, bk]) => seeksGender(a.seeks, bk.gender) && seeksGender(bk.seeks, a.gender));
    // As the Lua script: a shared interest first (each interest within each fitting bucket), then the buckets.
    const list: { set: Sorted; all: boolean; head: number }[] = [];
    for (const i of a.interests) {
      for (const [name, bk] of fitting) {
        const set = bk.interests ? indexes.get(`${a.mode}|i|${i}|${name}`) : undefined;
        const head = set?.first();
        if (set && head !== undefined) list.push({ set, all: true, head });
      }
    }
    scan(list);
    if (best) return { best };
    const anyoneNow = now - a.joined >= opts.fallbackMs;
    if (a.interests.length && !anyoneNow) later(a.joined + opts.fallbackMs);
    list.length = 0;
    for (const [name] of fitting) {
      const set = indexes.get(`${a.mode}|b|${name}`);
      const head = set?.first();
      if (!set || head === undefined) continue;
      const all = anyoneNow || (!a.interests.length && !buckets[a.mode].get(name)!.interests);
      if (all || head <= cut) list.push({ set, all, head });
      else later(head + opts.fallbackMs);
    }
    scan(list);
    return { best, retry };
  }

  return {
    async join(e, now) {
      const old = users.get(e.userId);
      if (old?.session) return { state: 'in_session', sessionId: old.session };
      const joined = old && old.mode === e.mode && waiting[e.mode].has(e.userId) ? old.joined : now;
      if (old) unindex(old);
      const u: MemUser = { ...e, joined, ended: old?.ended, closing: old?.closing };
      users.set(e.userId, u);
      // Parked until the caller has recorded the end of that session (lua/match-join-2.lua says why).
      if (u.ended) return { state: 'pending', sessionId: u.ended, peerId: null };
      if (u.closing) return { state: 'pending', sessionId: u.closing.session, peerId: u.closing.peer };
      index(u, now);
      return { state: 'queued' };
    },
    async pair(mode, now, sessionIds) {
      const half = Math.max(1, Math.floor(opts.scan / 2));
      const taken = new Set<string>();
      const out: Pairing[] = [];
      for (const id of due[mode].due(now, half, opts.scan - half)) {
        if (out.length >= sessionIds.length) break;
        if (taken.has(id)) continue;
        const a = users.get(id);
        if (!a || a.session) {
          due[mode].delete(id);
          continue;
        }
        const { best, retry } = lookUp(a, now, taken);
        if (!best) {
          if (retry === undefined) due[mode].delete(id);
          else due[mode].add(id, retry);
          continue;
        }
        const sessionId = sessionIds[out.length]!;
        const [first, second] = best.joined < a.joined ? [best, a] : [a, best];
        taken.add(a.userId).add(best.userId);
        unindex(a);
        unindex(best);
        Object.assign(first, { session: sessionId, peer: second.userId });
        Object.assign(second, { session: sessionId, peer: first.userId });
        const common = first.interests.filter((x) => second.interests.includes(x)).sort();
        out.push({ userId: first.userId, peerId: second.userId, sessionId, commonInterests: common, userInterests: first.interests, peerInterests: second.interests });
      }
      return out;
    },
    async end(userId, now, then, onlySocket, onlySession) {
      const u = users.get(userId);
      if (!u || (onlySocket && u.socketId !== onlySocket)) return { ended: false, sessionId: null, peerId: null };
      if (onlySession && u.session !== onlySession && u.ended !== onlySession && u.closing?.session !== onlySession) {
        return { ended: false, sessionId: null, peerId: null };
      }
      const pending = u.ended ? { session: u.ended, peer: null } : u.closing;
      const sessionId = u.session ?? pending?.session ?? null;
      const peerId = u.session ? (u.peer ?? null) : (pending?.peer ?? null);
      delete u.ended;
      delete u.closing;
      if (u.session && peerId) {
        const p = users.get(peerId);
        if (p?.session === u.session) delete p.session, delete p.peer, (p.ended = u.session);
        // A pairing that was never recorded was never shown: no cooldown between two who never met.
        if (!onlySession) {
          cooldown.set(`${userId}|${peerId}`, now + opts.cooldownMs);
          cooldown.set(`${peerId}|${userId}`, now + opts.cooldownMs);
        }
        if (cooldown.size > 10_000) for (const [k, until] of cooldown) if (until <= now) cooldown.delete(k);
        delete u.session;
        delete u.peer;
      }
      unindex(u);
      // A guarded requeue (a pairing never shown) keeps their place in the queue; any other end goes to the back.
      if (then === 'leave') users.delete(userId);
      else if (!(then === 'requeue' && onlySession)) u.joined = now;
      if (then === 'park' && sessionId) u.closing = { session: sessionId, peer: peerId };
      if (then === 'requeue') index(u, now);
      return { ended: true, sessionId, peerId };
    },
    async sizes() {
      return { text: waiting.text.size, video: waiting.video.size };
    },
    inSession: async (sessionId, userIds) => userIds.every((u) => users.get(u)?.session === sessionId),
    async requeueIfIdle(userId, recorded) {
      const u = users.get(userId);
      if (!u || u.session) return false;
      // Parked for the end of another session (lua/match-requeue-1.lua says why).
      if ((u.ended && u.ended !== recorded) || (u.closing && u.closing.session !== recorded)) return false;
      delete u.ended;
      delete u.closing;
      if (!waiting[u.mode].has(userId)) index(u, u.joined);
      return true;
    },
    usersOfNode: async () => [],
    sessionsHere: async () => [...users.entries()].flatMap(([userId, u]) => (u.session && u.peer ? [{ userId, sessionId: u.session, peerId: u.peer }] : [])),
  };
}
