import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { http } from '../../../support/client.js';

/**
 * The fan-out side of `npm run bench -- fanout-chat`: the creator's 100,000
 * followers seeded by SQL before anything is measured, then, per round, one
 * post published through the REST API (so the node enqueues `posts.fan-out`
 * and the workers process runs it, as in production), watched until the
 * post's fanout_done_at is set.
 */

/** `followers` fan users following `creatorId`, in one statement each (generate_series); returns how long it took. */
export async function seedFollowers(db: pg.Pool, creatorId: string, followers: number): Promise<number> {
  const t0 = performance.now();
  await db.query(
    `WITH u AS (
       INSERT INTO users (email, password_hash, display_name, birthdate, role)
       SELECT 'fanoutbench.' || g || '@example.test', 'not-a-hash', 'Follower ' || g, DATE '1990-01-01', 'fan' FROM generate_series(1, $1) g
       RETURNING id
     )
     INSERT INTO follows (follower_id, creator_id) SELECT u.id, $2 FROM u`,
    [followers, creatorId],
  );
  // Fresh statistics, as a database that grew to this size over time would have: the fan-out's plans depend on them.
  await db.query('ANALYZE users');
  await db.query('ANALYZE follows');
  return performance.now() - t0;
}

export interface FanoutResult {
  postId: string;
  /** Feed rows the post has once done. */
  rows: number;
  /** published_at → fanout_done_at, both stamped by the database's clock path (the node's and PostgreSQL's now()). */
  finishMs: number;
  /** The POST's start → the watcher seeing fanout_done_at (adds up to one poll interval). */
  observedMs: number;
}

/**
 * Publishes one free post as the creator and resolves when its fan-out is done (or rejects after `timeoutMs`).
 * `onStarted` runs once the post exists, `onProgress` with the seconds so far on each poll.
 */
export async function publishAndWatch(o: {
  db: pg.Pool;
  url: string;
  token: string;
  timeoutMs: number;
  pollMs?: number;
  onProgress?(elapsedS: number): void;
}): Promise<FanoutResult> {
  const t0 = performance.now();
  const res = await http<{ post: { id: string } }>(o.url, 'POST', '/api/posts', {
    token: o.token,
    body: { body: 'to every follower', visibility: { kind: 'free' } },
  });
  if (res.status !== 201) throw new Error(`POST /api/posts: ${res.status} ${JSON.stringify(res.body)}`);
  const postId = res.body.post?.id;
  if (!postId) throw new Error(`POST /api/posts answered without an id: ${JSON.stringify(res.body)}`);
  const deadline = t0 + o.timeoutMs;
  // A cheap poll (one row by primary key): counting feed rows while it runs would load PostgreSQL itself.
  for (;;) {
    const { rows } = await o.db.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM fanout_done_at - published_at) * 1000)::float8 AS ms FROM posts WHERE id = $1`,
      [postId],
    );
    const ms = rows[0]?.ms;
    if (ms !== null && ms !== undefined) {
      const observedMs = performance.now() - t0;
      const { rows: c } = await o.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM feed_items WHERE post_id = $1`, [postId]);
      return { postId, rows: c[0]!.n, finishMs: ms, observedMs };
    }
    if (performance.now() > deadline) throw new Error(`fan-out of post ${postId} not done after ${Math.round(o.timeoutMs / 1000)} s`);
    o.onProgress?.((performance.now() - t0) / 1000);
    await sleep(o.pollMs ?? 100);
  }
}
