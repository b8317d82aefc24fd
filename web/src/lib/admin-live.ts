import { io, type Socket } from 'socket.io-client';
import type { AdminEventResults, AdminSnapshot } from '../../../shared/admin.js';
import type { ErrorBody } from '../../../shared/errors.js';
import { ApiError } from './api.js';
import { appendSnapshot, type SeriesPoint } from './admin-series.js';

/**
 * The admin dashboard's live feed: one socket to the admin-only `/admin`
 * namespace, the latest snapshot and a few minutes of history. It holds no
 * React: pages read it through useSyncExternalStore, and the history outlives
 * a switch between admin tabs.
 *
 * The namespace authenticates its handshake with an access token like the
 * main one (and refuses non-admins with FORBIDDEN), but takes no
 * `auth:refresh`: at the token's expiry the server says `auth:expired` and
 * closes the socket, and this reconnects with a fresh token from the
 * handshake callback.
 */

interface AdminServerEvents {
  'admin:snapshot': (s: AdminSnapshot) => void;
  'auth:expired': (p: { expiredAt: string }) => void;
  'auth:revoked': (p: { reason: string }) => void;
  'system:shutdown': (p: { nodeId: string; reconnect: true }) => void;
}
type Ack<R> = { ok: true } & R;
interface AdminClientEvents {
  'admin:online': (p: { q: string; limit: number }, ack: (res: Ack<AdminEventResults['admin:online']> | { ok: false; error: ErrorBody }) => void) => void;
}
export type AdminSocket = Socket<AdminServerEvents, AdminClientEvents>;

export type LiveState = 'connecting' | 'connected' | 'reconnecting' | 'refused' | 'closed';

export interface LiveView {
  state: LiveState;
  /** Why the server refused the connection, when state is 'refused'. */
  refusal: ApiError | null;
  snapshot: AdminSnapshot | null;
  series: SeriesPoint[];
}

export interface TokenSource {
  /** A valid access token (refreshed first when close to expiry), or null when logged out. */
  accessToken(): Promise<string | null>;
  /** Refreshes now (the token was refused as expired). */
  refreshNow(): Promise<unknown>;
  /** The session is over (revoked, invalid): log out. */
  endSession(): void;
}

/** What to do about a handshake refusal, by its code. */
export type RefusalAction = 'refresh' | 'end-session' | 'refuse' | 'retry';

export function refusalAction(code: string | undefined): RefusalAction {
  switch (code) {
    case 'TOKEN_EXPIRED':
      return 'refresh';
    case 'INVALID_TOKEN':
    case 'SESSION_REVOKED':
    case 'UNAUTHENTICATED':
    case 'ACCOUNT_SUSPENDED':
      return 'end-session';
    // Not (or no longer) an admin: asking again will not change that.
    case 'FORBIDDEN':
      return 'refuse';
    default:
      return 'retry';
  }
}

const ACK_TIMEOUT_MS = 10_000;

export class AdminLive {
  private view: LiveView = { state: 'closed', refusal: null, snapshot: null, series: [] };
  private readonly listeners = new Set<() => void>();
  private socket: AdminSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly tokens: TokenSource,
    private readonly url?: string,
  ) {}

  get = (): LiveView => this.view;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  open(): void {
    if (this.socket) return;
    const opts = {
      path: '/socket.io',
      transports: ['websocket'],
      autoConnect: false,
      auth: (cb: (data: object) => void) => {
        this.tokens.accessToken().then(
          (token) => cb({ token }),
          () => cb({}),
        );
      },
    };
    const socket: AdminSocket = this.url ? io(`${this.url}/admin`, opts) : io('/admin', opts);
    this.socket = socket;

    socket.on('connect', () => this.set({ state: 'connected', refusal: null }));
    socket.on('disconnect', (reason) => {
      if (this.socket !== socket) return;
      this.set({ state: 'reconnecting' });
      // Closed by the server on purpose (token expiry, shutdown): socket.io does not retry those by itself.
      if (reason === 'io server disconnect') this.reconnectSoon(300 + Math.random() * 1200);
    });
    socket.on('connect_error', (err) => {
      const data = (err as Error & { data?: { code?: string; message?: string; retryAfterSeconds?: number } }).data;
      switch (refusalAction(data?.code)) {
        case 'refresh':
          this.set({ state: 'reconnecting' });
          this.tokens.refreshNow().then(
            () => this.reconnectSoon(0),
            () => this.reconnectSoon(5_000),
          );
          break;
        case 'end-session':
          this.tokens.endSession();
          break;
        case 'refuse':
          this.set({ state: 'refused', refusal: new ApiError('FORBIDDEN', data?.message ?? 'admins only', 403) });
          break;
        case 'retry':
          this.set({ state: 'reconnecting' });
          // A refusal the server explained is not retried by socket.io; a transport failure is, while the manager is active.
          if (data?.code) this.reconnectSoon(Math.max(1, data.retryAfterSeconds ?? 2) * 1000);
          else if (!socket.active) this.reconnectSoon(2_000);
          break;
      }
    });
    socket.on('admin:snapshot', (s) => {
      this.set({ snapshot: s, series: appendSnapshot(this.view.series, s) });
    });
    socket.on('auth:revoked', () => this.tokens.endSession());

    this.set({ state: 'connecting', refusal: null });
    socket.connect();
  }

  close(): void {
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    this.set({ state: 'closed' });
  }

  /** Online users whose name contains q (or whose id is q). */
  async online(q: string, limit = 50): Promise<AdminEventResults['admin:online']['users']> {
    const socket = this.socket;
    if (!socket?.connected) throw new ApiError('NETWORK', 'Not connected', 0);
    const res = await socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck('admin:online', { q, limit })
      .catch(() => {
        throw new ApiError('NETWORK', 'The server did not answer in time', 0);
      });
    if (res.ok) return res.users;
    throw new ApiError(res.error.code, res.error.message, 0, res.error.details, res.error.retryAfterSeconds);
  }

  private reconnectSoon(ms: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.socket && !this.socket.connected) this.socket.connect();
    }, ms);
  }

  private set(patch: Partial<LiveView>): void {
    this.view = { ...this.view, ...patch };
    for (const l of this.listeners) l();
  }
}
