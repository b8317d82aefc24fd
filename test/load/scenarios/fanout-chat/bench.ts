import type pg from 'pg';
import { newUser } from '../../../support/client.js';
import { besideChatUsage, parseBesideChat, runBesideChat } from './beside-chat.js';
import { fanoutFailure, fanoutSummary, fanoutTable } from './report.js';
import { publishAndWatch, seedFollowers, type FanoutResult } from './seed.js';

/**
 * `npm run bench -- fanout-chat`: how one post's fan-out to 100,000 followers affects other users' chat
 * (beside-chat.ts runs the phases: alone, while the post fans out, alone again). The creator signs up and
 * its followers are seeded by SQL (not measured); per round one post is published at the middle window's
 * start and the workers process runs posts.fan-out, as in production. Per fan-out: rows, time to finish
 * (published_at → fanout_done_at), rows/s, and the chat's 1-s p99 while it ran.
 * Results: BENCHMARKS.md, "The fan-out beside chat".
 */
const USAGE = besideChatUsage({
  name: 'fanout-chat',
  job: 'fan-out',
  rounds: 2,
  envExample: 'FEED_FANOUT_BATCH=1000',
  footer: "The node and the workers get FEED_FANOUT_MAX=F+1 so that the creator's posts fan out on write.",
});

export async function benchFanoutChat(argv: string[]): Promise<number> {
  const flags = parseBesideChat(USAGE, argv, 2);
  let creator: { db: pg.Pool; url: string; token: string } | undefined;
  return runBesideChat<FanoutResult>({
    name: 'fanout-chat',
    job: 'fan-out',
    flags,
    settings: { FEED_FANOUT_MAX: String(flags.followers + 1) },
    setup: async ({ node, db, log }) => {
      const c = await newUser(node.url, { displayName: 'Fan-out creator', role: 'creator' });
      const seedMs = await seedFollowers(db, c.user.id, flags.followers);
      log(`seeded ${flags.followers} followers of the creator in ${Math.round(seedMs)} ms (not measured)`);
      creator = { db, url: node.url, token: c.accessToken };
    },
    start: ({ state }) =>
      publishAndWatch({ ...creator!, timeoutMs: 15 * 60_000, onProgress: (s) => state(`fan-out running ${s.toFixed(1)}s`) }),
    doneState: (r) => `fan-out done: ${r.rows} rows in ${(r.finishMs / 1000).toFixed(2)} s`,
    report: (_phases, jobs) => [
      `fan-out of one post to ${flags.followers} followers (job in the workers process)`,
      fanoutTable(jobs, flags.followers),
      '',
      ...fanoutSummary(jobs),
    ],
    failure: (jobs) => fanoutFailure(jobs, flags.followers),
  });
}
