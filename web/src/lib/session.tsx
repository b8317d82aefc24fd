import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { AuthResult, PublicUser } from '../../../shared/auth.js';
import { api, setTokenSource, toApiError } from './api.js';
import { SESSION_KEY, TokenRefresher, type StoredSession } from './token-refresher.js';
import { forgetSuspension } from './moderation-text.js';

async function postRefresh(refreshToken: string): Promise<AuthResult> {
  const res = await fetch('/api/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ refreshToken }),
  });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw toApiError(body, res.status, res.headers.get('retry-after'));
  return body as AuthResult;
}

/** Cross-tab lock: the Web Locks API where there is one, else just this tab. */
function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return typeof navigator !== 'undefined' && navigator.locks ? (navigator.locks.request(name, fn) as Promise<T>) : fn();
}

export const refresher = new TokenRefresher({ store: window.localStorage, lock: withLock, now: () => Date.now(), refresh: postRefresh });
// Installed before any component renders: children's effects (their first fetches) run before a provider's own.
setTokenSource(
  () => refresher.accessToken(),
  () => refresher.clear(),
);

interface SessionValue {
  session: StoredSession | null;
  user: PublicUser | null;
  /** Stores a signup or login result. */
  signedIn: (result: AuthResult) => void;
  /** Keeps the stored user in step with GET/PATCH /api/me and me:updated. */
  userChanged: (user: PublicUser) => void;
  logout: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<StoredSession | null>(() => refresher.current());

  useEffect(() => {
    const off = refresher.subscribe(setSession);
    const onStorage = (e: StorageEvent) => {
      if (e.key === SESSION_KEY || e.key === null) refresher.storageChanged();
    };
    window.addEventListener('storage', onStorage);
    return () => {
      off();
      window.removeEventListener('storage', onStorage);
    };
  }, []);

  // Refresh ahead of expiry so open sockets get the fresh token (auth:refresh) before the old one lapses.
  useEffect(() => {
    if (!session) return;
    let retry = 5_000;
    let timer: ReturnType<typeof setTimeout>;
    const arm = (ms: number) => {
      timer = setTimeout(() => {
        refresher.refreshNow().then(
          () => {
            retry = 5_000;
            arm(refresher.dueIn() ?? 60_000);
          },
          () => {
            // A network failure keeps the session; try again with back-off.
            arm(retry);
            retry = Math.min(retry * 2, 60_000);
          },
        );
      }, Math.min(ms, 2 ** 31 - 1));
    };
    arm(refresher.dueIn() ?? 0);
    return () => clearTimeout(timer);
  }, [session?.accessToken]);

  const value = useMemo<SessionValue>(
    () => ({
      session,
      user: session?.user ?? null,
      signedIn: (result) => {
        forgetSuspension(sessionStorage);
        void refresher.set(result);
      },
      userChanged: (user) => refresher.updateUser(user),
      logout: async () => {
        try {
          await api('/api/auth/logout', { method: 'POST' });
        } catch {
          // Logged out here whatever the server says; the refresh token dies with its session or expires.
        }
        refresher.clear();
        // A full load of the landing page: nothing of this person's data stays in memory.
        window.location.assign('/');
      },
    }),
    [session],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
