import { describe, expect, it } from 'vitest';
import type { AuthResult } from '../../shared/auth.js';
import { SESSION_KEY, TokenRefresher, type KeyValueStore } from '../../web/src/lib/token-refresher.js';

/**
 * The web client's token refresher (web/src/lib/token-refresher.ts), with the
 * browser's parts replaced by plain ones: a Map for localStorage shared by
 * "tabs", a promise-chain lock standing in for navigator.locks, and a clock.
 */

class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

/** One lock per name across every "tab" made from the same instance, like navigator.locks. */
function lockManager() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const prev = tails.get(name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    tails.set(name, run.catch(() => undefined));
    return run;
  };
}

const user = { id: 'u1', email: 'a@example.com', displayName: 'A', birthdate: '1990-01-01', role: 'fan' as const, messagePrice: 0, callPricePerMinute: 0, createdAt: '', emailVerified: false };

/** A server that rotates refresh tokens and, like Pairly's, refuses a spent one (TOKEN_REUSED). */
function rotatingServer() {
  let n = 0;
  const live = new Set<string>(['r0']);
  const calls: string[] = [];
  return {
    calls,
    async refresh(token: string): Promise<AuthResult> {
      calls.push(token);
      await new Promise((r) => setTimeout(r, 5));
      if (!live.has(token)) throw Object.assign(new Error('TOKEN_REUSED'), { status: 401, code: 'TOKEN_REUSED' });
      live.delete(token);
      n += 1;
      live.add(`r${n}`);
      return { user, accessToken: `a${n}`, refreshToken: `r${n}`, expiresIn: 900 };
    },
  };
}

function setup(now: { t: number }) {
  const store = new MemoryStore();
  const lock = lockManager();
  const server = rotatingServer();
  const tab = () => new TokenRefresher({ store, lock, now: () => now.t, refresh: (t) => server.refresh(t), marginMs: 60_000 });
  return { store, server, tab };
}

describe('TokenRefresher', () => {
  it('returns the stored token while it is fresh and refreshes within the margin of expiry', async () => {
    const now = { t: 1_000_000 };
    const { server, tab } = setup(now);
    const a = tab();
    a.set({ user, accessToken: 'a0', refreshToken: 'r0', expiresIn: 900 });
    expect(await a.accessToken()).toBe('a0');
    expect(a.dueIn()).toBe(840_000);
    now.t += 841_000;
    expect(await a.accessToken()).toBe('a1');
    expect(server.calls).toEqual(['r0']);
  });

  it('two tabs refreshing at once spend the refresh token once and both get the new one', async () => {
    const now = { t: 0 };
    const { server, tab } = setup(now);
    const a = tab();
    const b = tab();
    a.set({ user, accessToken: 'a0', refreshToken: 'r0', expiresIn: 900 });
    now.t += 900_000;
    const [ta, tb, ta2] = await Promise.all([a.accessToken(), b.accessToken(), a.accessToken()]);
    expect(server.calls).toEqual(['r0']);
    expect([ta, tb, ta2]).toEqual(['a1', 'a1', 'a1']);
  });

  it('a refused refresh ends the session; a network failure keeps it for a retry', async () => {
    const now = { t: 0 };
    const store = new MemoryStore();
    let fail: 'network' | 'refused' = 'network';
    const heard: (string | null)[] = [];
    const r = new TokenRefresher({
      store,
      lock: lockManager(),
      now: () => now.t,
      refresh: async () => {
        throw fail === 'network' ? new TypeError('fetch failed') : Object.assign(new Error('x'), { status: 401 });
      },
    });
    r.subscribe((s) => heard.push(s?.accessToken ?? null));
    r.set({ user, accessToken: 'a0', refreshToken: 'r0', expiresIn: 900 });
    now.t += 900_000;
    await expect(r.accessToken()).rejects.toThrow('fetch failed');
    expect(r.current()?.refreshToken).toBe('r0');
    fail = 'refused';
    await expect(r.accessToken()).rejects.toThrow();
    expect(r.current()).toBeNull();
    expect(store.getItem(SESSION_KEY)).toBeNull();
    expect(heard).toEqual(['a0', null]);
  });

  it('a rate-limited refresh (429) does not log the person out', async () => {
    const now = { t: 0 };
    const r = new TokenRefresher({
      store: new MemoryStore(),
      lock: lockManager(),
      now: () => now.t,
      refresh: async () => {
        throw Object.assign(new Error('slow down'), { status: 429 });
      },
    });
    r.set({ user, accessToken: 'a0', refreshToken: 'r0', expiresIn: 900 });
    now.t += 900_000;
    await expect(r.refreshNow()).rejects.toThrow('slow down');
    expect(r.current()?.refreshToken).toBe('r0');
  });

  it('reads a corrupt stored session as logged out', () => {
    const store = new MemoryStore();
    store.setItem(SESSION_KEY, '{not json');
    const r = new TokenRefresher({ store, lock: lockManager(), now: () => 0, refresh: async () => Promise.reject(new Error('unused')) });
    expect(r.current()).toBeNull();
    store.setItem(SESSION_KEY, JSON.stringify({ accessToken: 1 }));
    expect(r.current()).toBeNull();
  });
});
