import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, newUser, waitFor } from '../support/client.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/** Going offline records last_seen_at, written in batches (users.store.ts): a whole crowd leaving at once is recorded for each of them. */
let backing: Backing;
let node: InProcessNode;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess(backing.env);
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

describe('last seen', () => {
  it('is recorded for every user of a crowd that goes offline at once, and only moves forward', async () => {
    const users = await Promise.all(Array.from({ length: 40 }, () => newUser(node.url)));
    const ids = users.map((u) => u.user.id);
    // Two sockets for some users: they go offline only when the last one closes.
    const sockets = await Promise.all(users.flatMap((u, i) => (i % 4 === 0 ? [u, u] : [u]).map((x) => connect(node.url, x.accessToken))));
    const before = Date.now();
    sockets.forEach((s) => s.close());
    const seen = () => pgQuery<{ id: string; last_seen_at: Date | null }>(backing.databaseUrl, `SELECT id, last_seen_at FROM users WHERE id = ANY($1::uuid[])`, [ids]);
    await waitFor(async () => (await seen()).every((r) => r.last_seen_at !== null), 10_000, 'every last_seen_at written');
    const first = await seen();
    for (const r of first) expect(r.last_seen_at!.getTime()).toBeGreaterThanOrEqual(before - 1000);

    // A second visit moves it forward.
    const again = await connect(node.url, users[0]!.accessToken);
    const t0 = first.find((r) => r.id === ids[0])!.last_seen_at!.getTime();
    await new Promise((r) => setTimeout(r, 20));
    again.close();
    await waitFor(async () => (await seen()).find((r) => r.id === ids[0])!.last_seen_at!.getTime() > t0, 10_000, 'last_seen_at moved forward');
  });
});
