import type pg from 'pg';
import { connect, newUser } from '../../../support/client.js';
import { besideChatUsage, parseBesideChat, runBesideChat } from '../fanout-chat/beside-chat.js';
import { seedFollowers } from '../fanout-chat/seed.js';
import { massFailure, massSummary, massTable } from './report.js';
import { sendAndWatch, type MassResult } from './watch.js';

/**
 * `npm run bench -- mass-message`: how one creator's mass message to 100,000 followers affects other users'
 * chat, and how fast it goes out (fanout-chat/beside-chat.ts runs the phases: alone, while the mass message
 * goes out, alone again). The creator signs up and connects (to count its progress pushes); its followers
 * are seeded by SQL (not measured); per round one mass message is sent at the middle window's start and the
 * workers process runs mass-messages.deliver, as in production.
 *
 * Per mass message: recipients, copies stored, followers without a copy or with two, time to finish
 * (created_at → finished_at), messages stored per second, the creator's progress pushes, the chat's 1-s p99
 * while it ran. Results: BENCHMARKS.md, "Mass messages".
 */
const USAGE = besideChatUsage({ name: 'mass-message', job: 'mass message', rounds: 1, envExample: 'MASS_MESSAGE_PER_SECOND=0' });

export async function benchMassMessage(argv: string[]): Promise<number> {
  const flags = parseBesideChat(USAGE, argv, 1);
  let creator: { db: pg.Pool; url: string; token: string; creatorId: string } | undefined;
  // The creator's own socket: the live progress pushes the composer shows.
  let pushes = 0;
  return runBesideChat<MassResult>({
    name: 'mass-message',
    job: 'mass message',
    flags,
    setup: async ({ node, db, log, cleanups }) => {
      const c = await newUser(node.url, { displayName: 'Mass-message creator', role: 'creator' });
      const seedMs = await seedFollowers(db, c.user.id, flags.followers);
      log(`seeded ${flags.followers} followers of the creator in ${Math.round(seedMs)} ms (not measured)`);
      const socket = await connect(node.url, c.accessToken);
      cleanups.add(async () => void socket.close());
      socket.on('mass-message:progress', () => pushes++);
      creator = { db, url: node.url, token: c.accessToken, creatorId: c.user.id };
    },
    start: ({ state }) => {
      const pushesBefore = pushes;
      return sendAndWatch({
        ...creator!,
        timeoutMs: 30 * 60_000,
        pushes: () => pushes - pushesBefore,
        onProgress: (s) => state(`mass message ${s.sent}/${s.total} sent, ${Math.round(s.sent / Math.max(0.001, s.elapsedS))}/s, ${s.elapsedS.toFixed(1)}s`),
      });
    },
    doneState: (r) => `mass message done: ${r.copies} copies in ${(r.finishMs / 1000).toFixed(2)} s`,
    report: (_phases, jobs) => [`one mass message to ${flags.followers} followers (job in the workers process)`, massTable(jobs), '', ...massSummary(jobs)],
    failure: (jobs) => massFailure(jobs, flags.followers),
  });
}
