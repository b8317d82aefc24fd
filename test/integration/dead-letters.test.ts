import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobHandlersOf } from '../../server/src/modules.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/** The dead-letter table does not grow for ever: retried letters go after DEAD_LETTER_RETENTION_DAYS; open ones stay. */
let backing: Backing;
let node: InProcessNode;

beforeAll(async () => {
  backing = await createBacking();
  node = await startInProcess({ ...backing.env, DEAD_LETTER_RETENTION_DAYS: '7' });
});
afterAll(async () => {
  await node?.stop();
  await backing?.cleanup();
});

describe('dead-letters.prune', () => {
  it('deletes letters retried before the retention, keeps recent and open ones', async () => {
    const insert = (jobId: string, failedDaysAgo: number, retriedDaysAgo: number | null) =>
      pgQuery(
        backing.databaseUrl,
        `INSERT INTO job_dead_letters (job_name, job_id, enqueued_at, payload, error, attempts, failed_at, retried_at, retried_by)
         VALUES ('media.process', $1, now(), '{}', 'boom', 5, now() - make_interval(days => $2::int),
                 CASE WHEN $3::int IS NULL THEN NULL ELSE now() - make_interval(days => $3::int) END, CASE WHEN $3::int IS NULL THEN NULL ELSE 'admin' END)`,
        [jobId, failedDaysAgo, retriedDaysAgo],
      );
    await insert('old-retried', 40, 30);
    await insert('just-over', 9, 8);
    await insert('recent-retried', 3, 2);
    await insert('old-open', 400, null);
    const handlers = jobHandlersOf(node.pairly.services.list);
    await handlers['dead-letters.prune']({}, { attempt: 1, maxAttempts: 1 });
    const left = await pgQuery(backing.databaseUrl, `SELECT job_id FROM job_dead_letters ORDER BY job_id`);
    expect(left.map((r: any) => r.job_id)).toEqual(['old-open', 'recent-retried']);
    // Running again changes nothing.
    await handlers['dead-letters.prune']({}, { attempt: 1, maxAttempts: 1 });
    expect(await pgQuery(backing.databaseUrl, `SELECT count(*)::int AS n FROM job_dead_letters`)).toEqual([{ n: 2 }]);
  });
});
