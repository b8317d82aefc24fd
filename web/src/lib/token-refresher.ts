import type { AuthResult, PublicUser } from '../../../shared/auth.js';

/** What the browser keeps of a logged-in session (localStorage, shared by the tabs of one origin). */
export interface StoredSession {
  user: PublicUser;
  accessToken: string;
  refreshToken: string;
  /** Epoch ms at which the access token expires. */
  accessExpiresAt: number;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface RefresherDeps {
  store: KeyValueStore;
  /** Runs fn while no other tab runs a function under the same name (navigator.locks in browsers). */
  lock: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  now: () => number;
  /** POST /api/auth/refresh. */
  refresh: (refreshToken: string) => Promise<AuthResult>;
  /** Refresh this long before the access token expires (default 60 s). */
  marginMs?: number;
}

export const SESSION_KEY = 'pairly.session';

/**
 * The access token, refreshed before it expires, once across tabs.
 *
 * The server rotates refresh tokens and treats a spent one presented again as
 * theft (TOKEN_REUSED revokes the whole session). Two tabs refreshing with
 * the same token at once would log the person out, so a refresh runs under a
 * cross-tab lock and first re-reads the stored session: when another tab
 * already refreshed, its fresh tokens are adopted instead of spending ours
 * again. A refresh refused by the server ends the session (listeners hear
 * `null`); a network failure does not (the stored session stays for a retry).
 */
export class TokenRefresher {
  private readonly listeners = new Set<(s: StoredSession | null) => void>();
  private inFlight: Promise<StoredSession | null> | null = null;
  private readonly margin: number;

  constructor(private readonly deps: RefresherDeps) {
    this.margin = deps.marginMs ?? 60_000;
  }

  current(): StoredSession | null {
    const raw = this.deps.store.getItem(SESSION_KEY);
    if (!raw) return null;
    try {
      const s = JSON.parse(raw) as StoredSession;
      return s && typeof s.accessToken === 'string' && typeof s.refreshToken === 'string' && typeof s.accessExpiresAt === 'number' ? s : null;
    } catch {
      return null;
    }
  }

  /** Stores a login, signup or refresh result and tells the listeners. */
  set(result: AuthResult): StoredSession {
    const s: StoredSession = {
      user: result.user,
      accessToken: result.accessToken,
      refreshToken: result.refreshToken,
      accessExpiresAt: this.deps.now() + result.expiresIn * 1000,
    };
    this.deps.store.setItem(SESSION_KEY, JSON.stringify(s));
    this.emit(s);
    return s;
  }

  updateUser(user: PublicUser): void {
    const s = this.current();
    if (!s) return;
    const next = { ...s, user };
    this.deps.store.setItem(SESSION_KEY, JSON.stringify(next));
    this.emit(next);
  }

  clear(): void {
    this.deps.store.removeItem(SESSION_KEY);
    this.emit(null);
  }

  /** Another tab changed the stored session (the `storage` event): tell this tab's listeners. */
  storageChanged(): void {
    this.emit(this.current());
  }

  subscribe(listener: (s: StoredSession | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Milliseconds until the token should be refreshed (0: now); null when logged out. */
  dueIn(): number | null {
    const s = this.current();
    if (!s) return null;
    return Math.max(0, s.accessExpiresAt - this.margin - this.deps.now());
  }

  /** A valid access token, refreshing first when it is within the margin of expiry; null when logged out. */
  async accessToken(): Promise<string | null> {
    const s = this.current();
    if (!s) return null;
    if (s.accessExpiresAt - this.margin > this.deps.now()) return s.accessToken;
    return (await this.refreshNow())?.accessToken ?? null;
  }

  /** Refreshes now (once per tab at a time, once across tabs per token). */
  refreshNow(): Promise<StoredSession | null> {
    this.inFlight ??= this.deps
      .lock('pairly.refresh', async () => {
        const s = this.current();
        if (!s) return null;
        // Another tab refreshed while we waited for the lock: use its tokens.
        if (s.accessExpiresAt - this.margin > this.deps.now()) {
          this.emit(s);
          return s;
        }
        try {
          return this.set(await this.deps.refresh(s.refreshToken));
        } catch (err) {
          if (isRefusal(err)) this.clear();
          throw err;
        }
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  private emit(s: StoredSession | null): void {
    for (const l of this.listeners) l(s);
  }
}

/** The server refused the refresh token (spent, revoked, expired): the session is over. A 429 or 5xx is not a refusal. */
function isRefusal(err: unknown): boolean {
  const status = (err as { status?: number } | null)?.status;
  return status === 400 || status === 401 || status === 403;
}
