import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { armTokenExpiry, tokenExpiryArmed } from '../../server/src/realtime/token-expiry.js';

/** What armTokenExpiry uses of a socket: data, emit, disconnect, on('disconnect') (with the socket as `this`). */
class FakeSocket extends EventEmitter {
  connected = true;
  told: unknown[] = [];
  constructor(public data: { tokenExpiresAt: number }) {
    super();
  }
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'auth:expired') this.told.push(args[0]);
    return super.emit(event, ...args);
  }
  disconnect(): this {
    if (!this.connected) return this;
    this.connected = false;
    super.emit('disconnect');
    return this;
  }
}

const arm = (s: FakeSocket) => armTokenExpiry(s as unknown as Parameters<typeof armTokenExpiry>[0]);

describe('token expiry (one timer for every socket)', () => {
  afterEach(() => vi.useRealTimers());

  it('closes each socket within 250 ms after its token ends, told of the exact expiry, with one timer however many sockets', () => {
    vi.useFakeTimers({ now: 1_000_000_000_000 });
    const t0 = Date.now();
    const sockets = Array.from({ length: 50 }, (_, i) => new FakeSocket({ tokenExpiresAt: t0 + 1000 + (i % 5) * 700 + 13 }));
    for (const s of sockets) arm(s);
    expect(tokenExpiryArmed()).toBe(50);
    expect(vi.getTimerCount()).toBe(1);
    for (let ms = 0; ms <= 5000; ms += 50) {
      vi.advanceTimersByTime(50);
      for (const s of sockets) {
        const late = Date.now() - s.data.tokenExpiresAt;
        // Open before its expiry; closed no later than 250 ms after it.
        if (late < 0) expect(s.connected).toBe(true);
        if (late >= 250) expect(s.connected).toBe(false);
      }
    }
    for (const s of sockets) expect(s.told).toEqual([{ expiredAt: new Date(s.data.tokenExpiresAt).toISOString() }]);
    expect(tokenExpiryArmed()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a fresher token moves the expiry; a socket gone before its expiry is forgotten and told nothing', () => {
    vi.useFakeTimers({ now: 1_000_000_000_000 });
    const t0 = Date.now();
    const refreshed = new FakeSocket({ tokenExpiresAt: t0 + 2000 });
    const gone = new FakeSocket({ tokenExpiresAt: t0 + 2000 });
    const other = new FakeSocket({ tokenExpiresAt: t0 + 2000 });
    for (const s of [refreshed, gone, other]) arm(s);
    vi.advanceTimersByTime(1000);
    refreshed.data.tokenExpiresAt = t0 + 10_000;
    arm(refreshed);
    gone.disconnect();
    expect(tokenExpiryArmed()).toBe(2);
    expect(refreshed.listenerCount('disconnect')).toBe(1); // re-arming adds no listener
    vi.advanceTimersByTime(2000);
    expect(other.connected).toBe(false);
    expect(refreshed.connected).toBe(true);
    expect(gone.told).toEqual([]);
    vi.advanceTimersByTime(8000);
    expect(refreshed.connected).toBe(false);
    expect(refreshed.told).toEqual([{ expiredAt: new Date(t0 + 10_000).toISOString() }]);
    expect(tokenExpiryArmed()).toBe(0);
  });
});
