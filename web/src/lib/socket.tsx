import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { io, type Socket } from 'socket.io-client';
import type { ClientEventName, ClientEventPayload, ClientEventResults, ClientToServerEvents, ServerToClientEvents } from '../../../shared/events.js';
import { ApiError } from './api.js';
import { fromStanding, rememberSuspension } from './moderation-text.js';
import { refresher, useSession } from './session.js';

export type PairlySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'refused';

interface SocketValue {
  socket: PairlySocket | null;
  state: ConnectionState;
  /** Why the server refused the connection (TOO_MANY_SOCKETS, ...), when it did. */
  refusal: ApiError | null;
  /** Grows by one on every (re)connection: effects tied to the connection itself (a random chat) depend on it. */
  generation: number;
  /**
   * Grows by one on every (re)connection and on every `system:resync` (the server may have dropped
   * pushes while the socket stayed open): effects that catch up (chat:sync) depend on it.
   */
  catchUp: number;
}

const SocketContext = createContext<SocketValue>({ socket: null, state: 'offline', refusal: null, generation: 0, catchUp: 0 });

const ACK_TIMEOUT_MS = 10_000;

/** Emits a client event and resolves with its result; an `{ok:false}` ack or no ack rejects with an ApiError. */
export function emit<E extends ClientEventName>(socket: PairlySocket | null, event: E, payload: ClientEventPayload<E>): Promise<ClientEventResults[E]> {
  if (!socket || !socket.connected) return Promise.reject(new ApiError('NETWORK', 'Not connected', 0));
  return new Promise((resolve, reject) => {
    // socket.io's typed emit cannot spread a generic event name; the contract is the ClientToServerEvents map.
    (socket.timeout(ACK_TIMEOUT_MS) as unknown as Socket).emit(event, payload, (err: Error | null, res: { ok: boolean; error?: { code: string; message: string; details?: unknown; retryAfterSeconds?: number } }) => {
      if (err) return reject(new ApiError('NETWORK', 'The server did not answer in time', 0));
      if (res.ok) return resolve(res as unknown as ClientEventResults[E]);
      const e = res.error!;
      reject(new ApiError(e.code as ApiError['code'], e.message, 0, e.details, e.retryAfterSeconds));
    });
  });
}

/**
 * One Socket.IO connection per logged-in tab. The handshake takes a fresh
 * access token each time (so reconnects never present an expired one); a
 * refreshed token is handed to the open socket with `auth:refresh`; a
 * refusal the server explains is handled by its code: an expired token is
 * refreshed and the socket reconnects, NOT_READY and SHUTTING_DOWN retry,
 * a revoked session logs out, TOO_MANY_SOCKETS is shown.
 */
export function SocketProvider({ children }: { children: ReactNode }) {
  const { session } = useSession();
  const [value, setValue] = useState<SocketValue>({ socket: null, state: 'offline', refusal: null, generation: 0, catchUp: 0 });
  const loggedIn = session !== null;
  const userId = session?.user.id;
  const lastToken = useRef<string | null>(null);
  const qc = useQueryClient();

  useEffect(() => {
    if (!loggedIn) return;
    const socket: PairlySocket = io({
      path: '/socket.io',
      transports: ['websocket'],
      autoConnect: false,
      auth: (cb) => {
        refresher.accessToken().then(
          (token) => {
            lastToken.current = token;
            cb({ token });
          },
          () => cb({ token: refresher.current()?.accessToken }),
        );
      },
    });
    let generation = 0;
    let catchUp = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let resyncTimer: ReturnType<typeof setTimeout> | undefined;
    const set = (patch: Partial<SocketValue>) => setValue((v) => ({ ...v, ...patch, socket }));
    const reconnectSoon = (ms: number) => {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => socket.connect(), ms);
    };

    socket.on('connect', () => {
      generation += 1;
      catchUp += 1;
      set({ state: 'connected', refusal: null, generation, catchUp });
    });
    // Spread over a few seconds: every socket of the node hears it at once.
    socket.on('system:resync', () => {
      clearTimeout(resyncTimer);
      resyncTimer = setTimeout(() => {
        catchUp += 1;
        set({ catchUp });
        void qc.invalidateQueries({ queryKey: ['wallet'] });
        void qc.invalidateQueries({ queryKey: ['notifications'] });
      }, Math.random() * 3_000);
    });
    socket.on('disconnect', (reason) => {
      set({ state: 'reconnecting' });
      // The server closed it on purpose (shutdown, expiry): socket.io does not retry those by itself.
      if (reason === 'io server disconnect') reconnectSoon(500 + Math.random() * 1500);
    });
    socket.on('connect_error', (err) => {
      const data = (err as Error & { data?: { code?: string; message?: string; retryAfterSeconds?: number } }).data;
      const code = data?.code;
      if (code === 'TOKEN_EXPIRED') {
        refresher.refreshNow().then(() => reconnectSoon(0), () => reconnectSoon(5_000));
        set({ state: 'reconnecting' });
      } else if (code === 'INVALID_TOKEN' || code === 'SESSION_REVOKED' || code === 'UNAUTHENTICATED' || code === 'ACCOUNT_SUSPENDED') {
        refresher.clear();
      } else if (code === 'TOO_MANY_SOCKETS') {
        set({ state: 'refused', refusal: new ApiError(code, data?.message ?? code, 429) });
        reconnectSoon(30_000);
      } else if (code) {
        set({ state: 'reconnecting' });
        reconnectSoon(Math.max(1, data?.retryAfterSeconds ?? 2) * 1000);
      } else if (!socket.active) {
        reconnectSoon(2_000);
      } else {
        set({ state: 'reconnecting' });
      }
    });
    socket.on('auth:expired', () => {
      refresher.refreshNow().catch(() => undefined);
    });
    socket.on('auth:revoked', ({ standing }) => {
      // A suspension's close carries it (its account:standing push may come after the close): kept before
      // the session goes, so that the signed-out page shows the suspended screen (RequireAuth), not the login.
      const suspension = standing && fromStanding(standing);
      if (suspension) rememberSuspension(suspension, sessionStorage);
      refresher.clear();
    });

    // A token refreshed by this tab or another reaches the open socket before the old one lapses.
    const off = refresher.subscribe((s) => {
      if (!s || !socket.connected || s.accessToken === lastToken.current) return;
      lastToken.current = s.accessToken;
      emit(socket, 'auth:refresh', { accessToken: s.accessToken }).catch(() => undefined);
    });

    set({ state: 'connecting', generation: 0, catchUp: 0 });
    socket.connect();
    return () => {
      off();
      clearTimeout(retryTimer);
      clearTimeout(resyncTimer);
      socket.removeAllListeners();
      socket.disconnect();
      setValue({ socket: null, state: 'offline', refusal: null, generation: 0, catchUp: 0 });
    };
  }, [loggedIn, userId, qc]);

  return <SocketContext.Provider value={value}>{children}</SocketContext.Provider>;
}

export function useSocket(): SocketValue {
  return useContext(SocketContext);
}

/** Subscribes a handler to a server push for as long as the component is mounted. */
export function useSocketEvent<E extends keyof ServerToClientEvents>(event: E, handler: ServerToClientEvents[E]): void {
  const { socket } = useSocket();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!socket) return;
    const fn = ((...args: unknown[]) => (ref.current as (...a: unknown[]) => void)(...args)) as ServerToClientEvents[E];
    // Typed overloads do not accept a generic event name.
    (socket as unknown as Socket).on(event as string, fn as never);
    return () => {
      (socket as unknown as Socket).off(event as string, fn as never);
    };
  }, [socket, event]);
}
