import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createRedisMatchQueue, type MatchQueue } from '../../../../server/src/modules/match/match.queue.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../../../support/pairly.js';
import { PG_BASE_URL, pgQuery, TEST_REDIS_URL } from '../../../support/services.js';
import { listFlag, numberFlag, parseCli, usageError } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, CpuWatch, load1, median, waitForLowLoad } from '../../lib/machine.js';
import { fmtMs } from '../../lib/summary.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { BENCH_SERVER_ENV } from '../../lib/server-env.js';
import { MatchCrowd, signUpCrowd } from './crowd.js';
import { errorLines, medianLines, notes, RATE_LIMIT_WARNING, table, type Row } from './report.js';
import { runWindow } from './window.js';

/**
 * `npm run bench -- match` (servers started here, on a database and Redis
 * prefix of their own; load.ts is the same crowd against running servers):
 * random-match users cycling join → found → one message each way → skip →
 * requeued (see crowd.ts), with pairs/s, time to pair, longest wait and
 * double pairings.
 *
 * bench runs a matrix per round: 1 node then 2 nodes (real server processes,
 * startNodeProcess, sharing one database and Redis; clients spread over
 * them), and for each, every size of a standing queue: users put in the
 * Redis queue directly, through the server's own queue driver, whose
 * preferences exclude everyone (gender 'other', seeking only 'other', ages
 * 99-99 while they are 30), so that they wait for ever in front of the
 * cycling users, as unmatched users do.
 */

const USAGE = `usage: npm run bench -- match [flags]
  --clients N            cycling users, one socket each (default 1000)
  --duration S           measured seconds per configuration (default 15)
  --warmup S             unmeasured seconds first (default 3)
  --rounds N             repeat the whole matrix N times (default 1)
  --timeout MS           ack timeout, and the longest a session may last before its user skips anyway (default 10000)
  --setup-concurrency N  sign-ups and connects at once (default 32)
also from the environment variable in brackets:
  --nodes LIST           node counts to measure, e.g. 1,2 (BENCH_MATCH_NODES; default 1,2)
  --standing LIST        standing queue sizes, e.g. 0,1000,10000 (BENCH_MATCH_STANDING; default 0,250,1000,10000)
  --pair-interval MS     MATCH_PAIR_INTERVAL_MS of the nodes (BENCH_MATCH_PAIR_INTERVAL_MS; default 300, the server default)
  --cooldown S           MATCH_COOLDOWN_SECONDS of the nodes (BENCH_MATCH_COOLDOWN_SECONDS; default 1)
  --interest-share X     share of users joining with one interest (default 0.3)
  --chat-inflight N      chat:send in flight per node at most, 0 = no cap (BENCH_MATCH_CHAT_INFLIGHT; default 4:
                         more can deadlock a node's pool of DATABASE_POOL_SIZE=10, see crowd.ts)
  --no-wait              do not wait for a load average below 1.2 before starting
  --mode cluster         the only mode: the nodes share local PostgreSQL and Redis`;

/** What the bench's nodes run with; everything else is Pairly's default. */
function benchEnv(pairIntervalMs: number, cooldownS: number): Record<string, string> {
  return {
    // Set-up: every user signs up from 127.0.0.1, one password hash each.
    ...BENCH_SERVER_ENV,
    // Sign-ups happen once per run; tokens must still be valid when later configurations connect.
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    // The per-user limits would otherwise be what is measured: a cycling user skips, sends and
    // joins several times a second (defaults: 20 events/s per socket, 20 skips a minute,
    // 30 messages per 10 s, 10 per conversation per 5 s, 60 s before two users can meet again).
    SOCKET_EVENTS_PER_SECOND: '10000',
    MATCH_SKIPS_PER_MINUTE: '1000000',
    CHAT_MESSAGES_PER_10S: '1000000',
    CHAT_FLOOD_PER_5S: '1000000',
    MATCH_COOLDOWN_SECONDS: String(cooldownS),
    MATCH_PAIR_INTERVAL_MS: String(pairIntervalMs),
    LOG_LEVEL: 'warn',
  };
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The standing queue: unpairable users put in the Redis queue through the server's own driver. */
async function addStanding(queue: MatchQueue, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  const now = Date.now();
  for (let i = 0; i < ids.length; i += 500) {
    await Promise.all(
      ids.slice(i, i + 500).map((userId) =>
        queue.join(
          { userId, mode: 'text', socketId: 'bench-standing', interests: [], gender: 'other', age: 30, seeks: ['other'], ageMin: 99, ageMax: 99, blocked: [] },
          now,
        ),
      ),
    );
  }
  return ids;
}

async function removeStanding(queue: MatchQueue, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await Promise.all(ids.slice(i, i + 500).map((id) => queue.end(id, Date.now(), 'leave')));
}

/** Time of one pairing pass over what is queued now, from this client (one round trip to Redis included). */
async function passMs(queue: MatchQueue): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const pairs = await queue.pair('text', Date.now(), [randomUUID()]);
    times.push(performance.now() - t0);
    if (pairs.length) throw new Error('a standing waiter was paired: the standing queue must be unpairable');
  }
  return median(times)!;
}

export async function benchMatch(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      clients: { type: 'string', short: 'c', default: '1000' },
      duration: { type: 'string', short: 'd', default: '15' },
      warmup: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '10000' },
      'setup-concurrency': { type: 'string', default: '32' },
      nodes: { type: 'string', default: process.env.BENCH_MATCH_NODES ?? '1,2' },
      standing: { type: 'string', default: process.env.BENCH_MATCH_STANDING ?? '0,250,1000,10000' },
      'pair-interval': { type: 'string', default: process.env.BENCH_MATCH_PAIR_INTERVAL_MS ?? '300' },
      cooldown: { type: 'string', default: process.env.BENCH_MATCH_COOLDOWN_SECONDS ?? '1' },
      'interest-share': { type: 'string', default: '0.3' },
      'chat-inflight': { type: 'string', default: process.env.BENCH_MATCH_CHAT_INFLIGHT ?? '4' },
      'no-wait': { type: 'boolean', default: false },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.mode !== undefined && v.mode !== 'cluster') usageError('the match bench runs cluster mode only (PostgreSQL + Redis): drop --mode', USAGE);
  const f = {
    clients: numberFlag('clients', v.clients, 2, 20_000, USAGE),
    durationS: numberFlag('duration', v.duration, 1, 600, USAGE, false),
    warmupS: numberFlag('warmup', v.warmup, 0, 60, USAGE, false),
    rounds: numberFlag('rounds', v.rounds, 1, 10, USAGE),
    timeoutMs: numberFlag('timeout', v.timeout, 100, 120_000, USAGE),
    setupConcurrency: numberFlag('setup-concurrency', v['setup-concurrency'], 1, 256, USAGE),
    nodes: listFlag('nodes', v.nodes, 1, 8, USAGE),
    standing: listFlag('standing', v.standing, 0, 1_000_000, USAGE),
    pairIntervalMs: numberFlag('pair-interval', v['pair-interval'], 20, 60_000, USAGE),
    cooldownS: numberFlag('cooldown', v.cooldown, 0, 3600, USAGE),
    interestShare: numberFlag('interest-share', v['interest-share'], 0, 1, USAGE, false),
    chatInflight: numberFlag('chat-inflight', v['chat-inflight'], 0, 10_000, USAGE),
    wait: !v['no-wait'],
  };

  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  cleanups.onSigint();
  const startLoad = f.wait ? await waitForLowLoad(log) : load1();

  let exitCode = 0;
  const nodes: NodeProcess[] = [];
  // A node whose pool deadlocked never finishes its graceful stop: SIGKILL after 15 s.
  const stopNodes = async (keep: number) => {
    while (nodes.length > keep) {
      const node = nodes.pop()!;
      const timer = setTimeout(() => {
        log(`node ${node.url} did not stop within 15 s of SIGTERM: SIGKILL`);
        void node.kill('SIGKILL');
      }, 15_000);
      await node.stop();
      clearTimeout(timer);
    }
  };
  try {
    const backing: Backing = await createBacking();
    cleanups.add(() => backing.cleanup());
    const dbName = new URL(backing.databaseUrl).pathname.slice(1);
    const env = { ...backing.env, ...benchEnv(f.pairIntervalMs, f.cooldownS) };
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 3 });
    cleanups.add(() => redis.quit());
    const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
    await admin.connect();
    cleanups.add(() => admin.end());
    cleanups.add(() => stopNodes(0));
    const queue = createRedisMatchQueue(redis, backing.redisPrefix, 'bench-standing', { fallbackMs: 5000, cooldownMs: 0, scan: 500 });
    const watch = new CpuWatch({ admin, pgDatabase: dbName, redis });
    const ensureNodes = async (n: number) => {
      await stopNodes(n);
      while (nodes.length < n) nodes.push(await startNodeProcess(env, { port: await freeTcpPort() }));
    };

    log(
      `match bench: ${f.clients} cycling users, nodes ${f.nodes.join(' and ')}, standing queue ${f.standing.join(', ')}; ` +
        `${f.warmupS}s warm-up + ${f.durationS}s each, ${f.rounds} round(s); database ${dbName}, Redis prefix ${backing.redisPrefix}; ` +
        `node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}`,
    );
    log(
      `nodes run with SOCKET_EVENTS_PER_SECOND=10000 MATCH_SKIPS_PER_MINUTE=1000000 CHAT_MESSAGES_PER_10S=1000000 CHAT_FLOOD_PER_5S=1000000 ` +
        `MATCH_COOLDOWN_SECONDS=${f.cooldownS} MATCH_PAIR_INTERVAL_MS=${f.pairIntervalMs} (MATCH_FALLBACK_MS default 5000), ARGON2_MEMORY_KIB=1024, SIGNUP_MAX_PER_IP and HTTP_MAX_REQUESTS_PER_IP raised, ACCESS_TOKEN_TTL_SECONDS=3600; ` +
        `clients keep at most ${f.chatInflight || 'unlimited'} chat:send in flight per node`,
    );
    await ensureNodes(Math.max(...f.nodes));
    const t0 = performance.now();
    const users = await signUpCrowd([nodes[0]!.url], f.clients, f.setupConcurrency);
    log(`${users.length} users signed up in ${Math.round(performance.now() - t0)} ms`);

    const rows: Row[] = [];
    for (let round = 1; round <= f.rounds; round++) {
      // Alternate the order of the node counts from round to round.
      const order = round % 2 ? f.nodes : [...f.nodes].reverse();
      for (const n of order) {
        await ensureNodes(n);
        const urls = nodes.map((x) => x.url);
        for (const standing of f.standing) {
          const ids = await addStanding(queue, standing);
          const pass = standing > 0 ? await passMs(queue) : undefined;
          const crowd = new MatchCrowd({
            timeoutMs: f.timeoutMs,
            interestShare: f.interestShare,
            chatInflightPerNode: f.chatInflight,
            onNewErrorCode: (code, message) => log(`${code === 'RATE_LIMITED' ? RATE_LIMIT_WARNING + '\n' : ''}first ${code}: ${message}`),
          });
          const t1 = performance.now();
          await crowd.connect(
            users.map((u, i) => ({ ...u, url: urls[i % urls.length]! })),
            f.setupConcurrency,
          );
          const label = `match ${n} node${n > 1 ? 's' : ''}, ${standing} standing${f.rounds > 1 ? ` #${round}` : ''}`;
          log(`[${label}] ${crowd.size} sockets connected in ${Math.round(performance.now() - t1)} ms${pass !== undefined ? `; one pairing pass over the standing queue: ${fmtMs(pass)} ms` : ''}`);
          const w = await runWindow({ label, crowd, urls, warmupS: f.warmupS, durationS: f.durationS, printer, watch });
          w.result.halfDelivered = await crowd.close();
          await removeStanding(queue, ids);
          // Disconnects take the users out of the queue on the server; wait for that before the next configuration.
          for (let i = 0; i < 50; i++) {
            const sizes = await queue.sizes();
            if (sizes.text + sizes.video === 0) break;
            await sleep(100);
          }
          rows.push({ round, nodes: n, standing, passMs: pass, ...w });
          const x = w.result;
          log(`[${label}] ${x.pairsPerS.toFixed(0)} pairs/s, time to pair p50 ${fmtMs(x.ttp.p50)} ms p99 ${fmtMs(x.ttp.p99)} ms, longest wait ${fmtMs(x.longestWaitMs)} ms, double pairings ${x.doublePairings}`);
        }
      }
    }
    await stopNodes(0);

    const check = await sessionCheck(backing.databaseUrl);
    const doubles = rows.reduce((s, r) => s + r.result.doublePairings, 0);
    const half = rows.reduce((s, r) => s + r.result.halfDelivered, 0);
    const lines = [
      '',
      table(rows, true),
      '',
      ...medianLines(rows),
      ...errorLines(rows),
      '',
      `Client-side double pairings (match:found while the user's session was still on): ${doubles}. Sessions found by only one of their two users: ${half}.`,
      `PostgreSQL match_sessions after every client left: ${check.sessions} sessions of ${check.users} users, ${check.open} never ended. ` +
        `A user's session starting before their previous one ended: ${check.overlaps}, of which ${check.overlapsSkipper} where the user had skipped the previous one ` +
        `(re-paired before that session's end was written; largest overlap ${check.maxOverlapMs === null ? '—' : `${fmtMs(check.maxOverlapMs)} ms`}) and ` +
        `${check.overlapOpen} where the previous one never ended (see the open sessions); any other: ${check.overlaps - check.overlapsSkipper - check.overlapOpen}.`,
      '',
      notes(f.timeoutMs),
    ];
    console.log(lines.join('\n'));
    // Double pairings fail the run; the two recording-order effects above are reported, not failed on.
    if (doubles > 0 || check.overlaps - check.overlapsSkipper - check.overlapOpen > 0) exitCode = 1;
  } catch (err) {
    log(`match bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    for (const n of nodes) log(`--- output of ${n.url} (last 2000 characters):\n${n.output().slice(-2000)}`);
    exitCode = 1;
  } finally {
    await cleanups.run();
  }
  return exitCode;
}

async function sessionCheck(url: string) {
  const [r] = await pgQuery<{
    sessions: number;
    users: number;
    open: number;
    overlaps: number;
    overlaps_skipper: number;
    overlap_open: number;
    max_overlap_ms: number | null;
  }>(
    url,
    `WITH s AS (
       SELECT id, user_a AS u, started_at, ended_at, ended_by, end_reason FROM match_sessions
       UNION ALL SELECT id, user_b, started_at, ended_at, ended_by, end_reason FROM match_sessions
     ), o AS (
       SELECT u, started_at, lag(id) OVER w AS prev_id, lag(ended_at) OVER w AS prev_end,
              lag(ended_by) OVER w AS prev_by, lag(end_reason) OVER w AS prev_reason
       FROM s WINDOW w AS (PARTITION BY u ORDER BY started_at, id)
     )
     SELECT (SELECT count(*) FROM match_sessions)::int AS sessions,
            (SELECT count(DISTINCT u) FROM s)::int AS users,
            (SELECT count(*) FROM match_sessions WHERE ended_at IS NULL)::int AS open,
            count(*) FILTER (WHERE prev_id IS NOT NULL AND (prev_end IS NULL OR prev_end > started_at))::int AS overlaps,
            count(*) FILTER (WHERE prev_end > started_at AND prev_by = u AND prev_reason = 'skip')::int AS overlaps_skipper,
            count(*) FILTER (WHERE prev_id IS NOT NULL AND prev_end IS NULL)::int AS overlap_open,
            (max(extract(epoch FROM prev_end - started_at) * 1000) FILTER (WHERE prev_end > started_at))::float8 AS max_overlap_ms
     FROM o`,
  );
  return {
    sessions: r!.sessions,
    users: r!.users,
    open: r!.open,
    overlaps: r!.overlaps,
    overlapsSkipper: r!.overlaps_skipper,
    overlapOpen: r!.overlap_open,
    maxOverlapMs: r!.max_overlap_ms,
  };
}
