import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/** Random matches on three real nodes sharing one Redis queue. */
let backing: Backing;
const nodes: NodeProcess[] = [];
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  const env = { ...backing.env, MATCH_PAIR_INTERVAL_MS: '100', MATCH_FALLBACK_MS: '200' };
  // One at a time: three boots at once on a busy 2-core machine can overrun the start-up deadline.
  for (let i = 0; i < 3; i++) nodes.push(await startNodeProcess(env));
}, 180_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await Promise.all(nodes.map((n) => n.stop()));
  await backing?.cleanup();
});

describe('random matching across the cluster', () => {
  it('240 simultaneous joins spread over 3 nodes: everyone is paired, nobody twice, pairs span nodes', async () => {
    const N = 240;
    const users = await Promise.all(Array.from({ length: N }, (_, i) => newUser(nodes[i % 3]!.url)));
    const conns = await Promise.all(users.map((u, i) => connect(nodes[i % 3]!.url, u.accessToken)));
    sockets.push(...conns);
    const found = new Map<string, any[]>();
    conns.forEach((s, i) => s.on('match:found', (f: any) => found.set(users[i]!.user.id, [...(found.get(users[i]!.user.id) ?? []), f])));

    // Every user joins at the same moment, twice (a double tap): one queue entry each.
    await Promise.all(conns.flatMap((s) => [0, 1].map(() => (s as any).timeout(10_000).emitWithAck('match:join', { mode: 'text', interests: Math.random() < 0.3 ? ['music'] : [] }))));
    await waitFor(() => found.size === N, 30_000, 'every user to be paired');
    await new Promise((r) => setTimeout(r, 500));

    for (const [, list] of found) expect(list).toHaveLength(1);
    const sessions = await pgQuery<{ id: string; user_a: string; user_b: string }>(backing.databaseUrl, 'SELECT id, user_a, user_b FROM match_sessions');
    expect(sessions).toHaveLength(N / 2);
    const inSessions = sessions.flatMap((s) => [s.user_a, s.user_b]);
    expect(new Set(inSessions).size).toBe(N);
    for (const s of sessions) {
      expect(found.get(s.user_a)![0].sessionId).toBe(s.id);
      expect(found.get(s.user_b)![0].peer.userId).toBe(s.user_a);
    }
    const index = new Map(users.map((u, i) => [u.user.id, i % 3]));
    expect(sessions.some((s) => index.get(s.user_a) !== index.get(s.user_b))).toBe(true);
  });
});
