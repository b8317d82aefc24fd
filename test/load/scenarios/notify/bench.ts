import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import webpush from 'web-push';
import { WebPushSender } from '../../../../server/src/modules/notifications/push.js';
import { connect, http, newUser, type ClientSocket } from '../../../support/client.js';
import { createBacking, startInProcess } from '../../../support/pairly.js';
import { startPushStandin } from '../../../support/push-standin.js';
import { numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1, waitForLowLoad } from '../../lib/machine.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { seedFollowers } from '../fanout-chat/seed.js';

/**
 * `npm run bench -- notify`: "notifications delivered per second during a mass message" (issue #14). One node in
 * this process with its workers (RUN_WORKERS), on a fresh database and Redis prefix, VAPID keys, and the push
 * stand-in as every offline browser's push service. One creator; N followers, of whom `online` signed up
 * through the API and hold a socket (counting `notification:new`), the rest seeded by SQL with one browser
 * each subscribed at the stand-in (not measured). One mass message goes out through the REST API; the workers
 * deliver it in MASS_MESSAGE_BATCH batches, and each batch's notifications are stored in one statement, sent
 * live, and queued as web pushes for the offline (NotificationService.notifyEach).
 *
 * Measured from the send (the POST's start, this process's clock; stored rows by the database's clock from the
 * mass message's created_at): notifications stored, live-delivered and pushed, each per second to the last
 * one and p50/p99. Baselines in the same run: the same count of plain INSERTs in batches of the same size (a
 * bare table, one statement per batch, nothing else), and the same count of web pushes sent straight to the
 * stand-in by WebPushSender, 10 at a time (the push job's concurrency), no queue.
 */
const USAGE = `usage: npm run bench -- notify [flags]
  --recipients N   followers the mass message reaches (default 2000)
  --online K       of them connected with a socket (default 200); the rest are offline with web push
  --batch B        MASS_MESSAGE_BATCH (default 500)
  --per-second R   MASS_MESSAGE_PER_SECOND (default 0: unthrottled, to see what the path can do)
  --no-wait        do not wait for a load average below 1.2 before starting
Only 127.0.0.1 PostgreSQL and Redis (TEST_PG_URL, TEST_REDIS_URL); the database and prefix are removed at the end.`;

interface Rate {
  name: string;
  count: number;
  expected: number;
  seconds: number;
  p50: number | null;
  p99: number | null;
}

export async function benchNotify(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      recipients: { type: 'string', default: '2000' },
      online: { type: 'string', default: '200' },
      batch: { type: 'string', default: '500' },
      'per-second': { type: 'string', default: '0' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const f = {
    n: numberFlag('recipients', v.recipients, 2, 1_000_000, USAGE),
    online: numberFlag('online', v.online, 1, 5_000, USAGE),
    batch: numberFlag('batch', v.batch, 1, 10_000, USAGE),
    perSecond: numberFlag('per-second', v['per-second'], 0, 1_000_000, USAGE),
  };
  if (f.online >= f.n) throw new Error('--online must be below --recipients');
  const offlineCount = f.n - f.online;
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  cleanups.onSigint();
  const startLoad = v['no-wait'] ? load1() : await waitForLowLoad(log);
  try {
    const backing = await createBacking();
    cleanups.add(() => backing.cleanup());
    const push = await startPushStandin();
    cleanups.add(() => push.close());
    const vapid = webpush.generateVAPIDKeys();
    const node = await startInProcess({
      ...backing.env,
      RUN_WORKERS: 'true',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      NOTIFY_PUSH_HTTP_ENDPOINTS: 'true',
      MASS_MESSAGE_BATCH: String(f.batch),
      MASS_MESSAGE_PER_SECOND: String(f.perSecond),
    });
    cleanups.add(() => node.stop());
    const db = new pg.Pool({ connectionString: backing.databaseUrl, max: 4 });
    cleanups.add(() => db.end());
    log(`notify bench: ${f.n} recipients (${f.online} online, ${offlineCount} offline with web push), batch ${f.batch}, ${f.perSecond || 'unthrottled'}/s; node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}`);

    // Set-up (not measured): the creator, the online fans (API sign-ups and sockets), the offline ones (SQL) and their browsers.
    const t0 = performance.now();
    const creator = await newUser(node.url, { displayName: 'Notify-bench creator', role: 'creator' });
    const live: number[] = [];
    const sockets: ClientSocket[] = [];
    const onlineUsers: string[] = [];
    cleanups.add(async () => sockets.forEach((s) => s.close()));
    for (let i = 0; i < f.online; i += 20) {
      const fans = await Promise.all(Array.from({ length: Math.min(20, f.online - i) }, () => newUser(node.url)));
      await db.query(`INSERT INTO follows (follower_id, creator_id) SELECT unnest($1::uuid[]), $2`, [fans.map((x) => x.user.id), creator.user.id]);
      for (const fan of fans) {
        onlineUsers.push(fan.user.id);
        const s = await connect(node.url, fan.accessToken);
        s.on('notification:new', () => live.push(Date.now()));
        sockets.push(s);
      }
    }
    await seedFollowers(db, creator.user.id, offlineCount);
    const { rows: offline } = await db.query<{ id: string }>(`SELECT follower_id AS id FROM follows WHERE creator_id = $1 AND follower_id <> ALL($2::uuid[])`, [creator.user.id, onlineUsers]);
    const browsers = offline.map((u) => ({ userId: u.id, ...push.subscribe() }));
    await db.query(`INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth) SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[])`, [
      browsers.map((b) => b.endpoint),
      browsers.map((b) => b.userId),
      browsers.map((b) => b.keys.p256dh),
      browsers.map((b) => b.keys.auth),
    ]);
    await db.query('ANALYZE');
    log(`set-up in ${Math.round(performance.now() - t0)} ms (not measured); load average ${load1().toFixed(2)}`);

    // The mass message.
    const loadBefore = load1();
    const sentAt = Date.now();
    const res = await http<{ massMessage: { id: string } }>(node.url, 'POST', '/api/mass-messages', {
      token: creator.accessToken,
      body: { clientId: randomUUID(), audience: { kind: 'followers' }, body: `notify bench ${randomUUID()}` },
    });
    if (res.status !== 201) throw new Error(`POST /api/mass-messages: ${res.status} ${JSON.stringify(res.body)}`);
    const id = res.body.massMessage.id;
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const pushed = push.received.length;
      log(`live ${live.length}/${f.online}, pushed ${pushed}/${offlineCount}, ${((Date.now() - sentAt) / 1000).toFixed(1)} s`);
      if (live.length >= f.online && pushed >= offlineCount) break;
      if (Date.now() > deadline) break;
      await sleep(250);
    }
    // A little longer: anything extra (a notification twice) would show in the counts.
    await sleep(1000);
    const loadDuring = load1();
    const stored = (
      await db.query<{ n: number; last_ms: number; p50: number; p99: number }>(
        `SELECT count(*)::int AS n, (extract(epoch FROM max(n.created_at) - m.created_at) * 1000)::float8 AS last_ms,
                (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM n.created_at - m.created_at)) * 1000)::float8 AS p50,
                (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM n.created_at - m.created_at)) * 1000)::float8 AS p99
         FROM notifications n JOIN mass_messages m ON m.id = $1
         WHERE n.kind = 'message' AND n.payload->>'actorId' = $2
         GROUP BY m.created_at`,
        [id, creator.user.id],
      )
    ).rows[0] ?? { n: 0, last_ms: 0, p50: null, p99: null };
    const rate = (name: string, stamps: number[], expected: number): Rate => {
      const ms = stamps.map((t) => t - sentAt).sort((a, b) => a - b);
      return { name, count: ms.length, expected, seconds: (ms.at(-1) ?? 0) / 1000, p50: pick(ms, 0.5), p99: pick(ms, 0.99) };
    };
    const rows: Rate[] = [
      { name: 'stored (all recipients)', count: stored.n, expected: f.n, seconds: stored.last_ms / 1000, p50: stored.p50, p99: stored.p99 },
      rate('live (notification:new)', live, f.online),
      rate('web push (offline)', push.received.map((p) => p.at), offlineCount),
    ];

    // Baselines, after the mass message, in the same run.
    await db.query(`CREATE TABLE bench_bare_inserts (user_id uuid NOT NULL, subject text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    const ids = (await db.query<{ id: string }>(`SELECT follower_id AS id FROM follows WHERE creator_id = $1`, [creator.user.id])).rows.map((r) => r.id);
    const b0 = performance.now();
    const insertMs: number[] = [];
    for (let i = 0; i < ids.length; i += f.batch) {
      const part = ids.slice(i, i + f.batch);
      await db.query(`INSERT INTO bench_bare_inserts (user_id, subject, payload) SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])`, [
        part,
        part.map(() => randomUUID()),
        part.map(() => JSON.stringify({ actorId: creator.user.id, link: '/chats/x', ref: randomUUID() })),
      ]);
      insertMs.push(...part.map(() => performance.now() - b0));
    }
    const bareInserts: Rate = { name: 'baseline: plain INSERTs', count: ids.length, expected: ids.length, seconds: (performance.now() - b0) / 1000, p50: pick(insertMs, 0.5), p99: pick(insertMs, 0.99) };
    const sender = new WebPushSender({ keys: vapid, subject: 'mailto:bench@pairly.local' });
    const direct = Array.from({ length: offlineCount }, () => push.subscribe());
    const before = push.received.length;
    const p0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < direct.length) {
          const target = direct[next++]!;
          await sender.send({ endpoint: target.endpoint, p256dh: target.keys.p256dh, auth: target.keys.auth }, { id: randomUUID(), kind: 'message', title: 'Pairly', body: 'bench', link: '/chats' });
        }
      }),
    );
    const directMs = push.received.slice(before).map((p) => p.at - p0).sort((a, b) => a - b);
    const barePushes: Rate = { name: 'baseline: direct web pushes', count: directMs.length, expected: offlineCount, seconds: (Date.now() - p0) / 1000, p50: pick(directMs, 0.5), p99: pick(directMs, 0.99) };

    console.log(`\nnotifications during one mass message to ${f.n} followers (${f.online} online, ${offlineCount} offline with web push), batch ${f.batch}, ${f.perSecond || 'unthrottled'}/s`);
    console.log(`load average: ${startLoad.toFixed(2)} at start, ${loadBefore.toFixed(2)} before the send, ${loadDuring.toFixed(2)} after it (${CORES} cores)`);
    console.log(`${'what'.padEnd(30)} ${'count'.padStart(11)} ${'to last (s)'.padStart(11)} ${'per s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
    for (const r of [...rows, bareInserts, barePushes]) {
      const perS = r.seconds > 0 ? Math.round(r.count / r.seconds) : 0;
      const ms = (x: number | null) => (x === null ? '-' : String(Math.round(x)));
      console.log(`${r.name.padEnd(30)} ${`${r.count}/${r.expected}`.padStart(11)} ${r.seconds.toFixed(2).padStart(11)} ${String(perS).padStart(8)} ${ms(r.p50).padStart(8)} ${ms(r.p99).padStart(8)}`);
    }
    console.log(`(latencies from the send for the mass message; from the baseline's own start for the baselines; refused pushes: ${push.refused.length})`);
    const wrong = [...rows, bareInserts, barePushes].filter((r) => r.count !== r.expected);
    if (wrong.length || push.refused.length) {
      console.log(`FAILED: ${wrong.map((r) => `${r.name} ${r.count}/${r.expected}`).join(', ')}${push.refused.length ? ` refused: ${push.refused[0]}` : ''}`);
      return 1;
    }
    return 0;
  } finally {
    await cleanups.run();
  }
}

function pick(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
