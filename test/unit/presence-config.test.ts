import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/src/config.js';

/** How fast a dead, paused or partitioned node is noticed: by its clients (pings) and by its peers (presence heartbeats). */
describe('liveness settings', () => {
  it('default to a 15 s client window (10 s ping + 5 s timeout) and a 10 s presence TTL renewed every third of it', () => {
    const c = loadConfig({});
    expect(c.socketPing).toEqual({ intervalMs: 10_000, timeoutMs: 5000 });
    expect(c.chat.presenceTtlSeconds).toBe(10);
    expect(c.presenceHeartbeatMs).toBe(3333);
  });

  it('are read from the environment', () => {
    const c = loadConfig({ SOCKET_PING_INTERVAL_MS: '60000', SOCKET_PING_TIMEOUT_MS: '2000', PRESENCE_TTL_SECONDS: '6', PRESENCE_HEARTBEAT_MS: '500' });
    expect(c.socketPing).toEqual({ intervalMs: 60_000, timeoutMs: 2000 });
    expect(c.chat.presenceTtlSeconds).toBe(6);
    expect(c.presenceHeartbeatMs).toBe(500);
  });

  it('refuse a heartbeat that is not shorter than the TTL (live nodes would lapse between their own heartbeats)', () => {
    expect(() => loadConfig({ PRESENCE_TTL_SECONDS: '3', PRESENCE_HEARTBEAT_MS: '3000' })).toThrow(ConfigError);
    expect(() => loadConfig({ PRESENCE_TTL_SECONDS: '3', PRESENCE_HEARTBEAT_MS: '2999' })).not.toThrow();
  });
});
