import pg from 'pg';
import { createPgDatabase } from '../../../../server/src/db/pg.js';
import { migrate } from '../../../../server/src/db/migrate.js';
import { createLogger } from '../../../../server/src/logger.js';
import { createPasswordHasher } from '../../../../server/src/modules/auth/passwords.js';
import { seed, SEED_PASSWORD, seedEmail } from '../../../../server/src/cli/seed/seed.js';
import { FIRST_NAMES, LAST_NAMES, TOPICS } from '../../../../server/src/cli/seed/words.js';
import { logIn } from '../../../support/client.js';
import { startNodeProcess } from '../../../support/pairly.js';
import { PG_BASE_URL } from '../../../support/services.js';
import { numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, CpuWatch, load1, waitForLowLoad } from '../../lib/machine.js';
import { scrapeProbe, usageOf } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { LatencyRecorder } from '../../lib/recorder.js';
import { runLoop, type RunResult } from '../../lib/runner.js';
import { LoadError } from '../../lib/scenario.js';
import { BENCH_SERVER_ENV, benchData, envLine } from '../../lib/server-env.js';
import { cpuNote, fmtMs, mdRow, summaryTable, type SummaryRow } from '../../lib/summary.js';

/**
 * `npm run bench -- search`: a fresh database (cluster mode: local PostgreSQL and Redis), seeded by the seed
 * script's own code (seed.ts: creators with pages and tiers, P posts each, fans following them), then one
 * Pairly node process and C HTTP clients, each logged in as a seeded fan, in a closed loop. Variants, one
 * after the other, each W s of warm-up and D s measured:
 *
 *   healthz          GET /healthz: the node's HTTP floor (no auth, no SQL)
 *   creators list    GET /api/creators?sort=new: the listing without q (auth, one keyset index range, the cards)
 *   creators ?q=     GET /api/creators?q=…: text rank + trigram similarity (the search of issue #14)
 *   posts ?q=        GET /api/search/posts?q=…: full text over posts, only those the fan may read in full
 *
 * The queries cycle through a fixed mix (below) of words, names, typos, prefixes and no match; each kind's
 * latency is also kept apart. PostgreSQL's CPU is the backends of the bench's database.
 */
const USAGE = `usage: npm run bench -- search [flags]
  --creators M     creators seeded (default 100000)
  --posts P        posts per creator (default 10: 1,000,000 posts)
  --fans N         fans seeded, who follow creators and search (default 1000)
  --follows F      creators each fan follows (default 10)
  --clients C      concurrent HTTP clients, closed loop (default 4)
  --duration S     measured seconds per variant (default 15)
  --warmup S       unmeasured seconds before each (default 2)
  --no-wait        do not wait for a load average below 1.2 before measuring
Only 127.0.0.1 PostgreSQL and Redis (TEST_PG_URL, TEST_REDIS_URL); the database is dropped at the end.`;

type Kind = 'word' | 'name' | 'typo' | 'prefix' | 'none';
interface Query {
  kind: Kind;
  q: string;
}

/** Drops one letter inside the word (a typo that trigrams still reach). */
const typo = (w: string, k: number) => (w.length < 4 ? w : w.slice(0, 1 + (k % (w.length - 2))) + w.slice(2 + (k % (w.length - 2))));

/** The fixed mix: 30% words, 20% names (posts: words), 20% typos, 20% prefixes, 10% no match; the same in every run. */
export function queryMix(target: 'creators' | 'posts'): Query[] {
  const out: Query[] = [];
  const topicWords = TOPICS.flatMap((t) => t.words);
  for (let k = 0; k < 100; k++) {
    const first = FIRST_NAMES[(k * 7) % FIRST_NAMES.length]!;
    const last = LAST_NAMES[(k * 11) % LAST_NAMES.length]!;
    const word = topicWords[(k * 13) % topicWords.length]!;
    const slot = k % 10;
    if (slot < 3) out.push({ kind: 'word', q: target === 'posts' && slot === 2 ? `${word} ${topicWords[(k * 5) % topicWords.length]}` : word });
    // Posts carry no names: their second slot is another word.
    else if (slot < 5) out.push(target === 'creators' ? { kind: 'name', q: `${first} ${last}` } : { kind: 'word', q: topicWords[(k * 17) % topicWords.length]! });
    else if (slot < 7) out.push({ kind: 'typo', q: typo(slot === 5 ? first : word, k) });
    else if (slot < 9) out.push({ kind: 'prefix', q: (slot === 7 ? last : word).slice(0, 4) });
    else out.push({ kind: 'none', q: `zq${'xvjkw'[k % 5]}${k}` });
  }
  return out;
}

export async function benchSearch(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      creators: { type: 'string', default: '100000' },
      posts: { type: 'string', default: '10' },
      fans: { type: 'string', default: '1000' },
      follows: { type: 'string', default: '10' },
      clients: { type: 'string', default: '4' },
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '2' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const f = {
    creators: numberFlag('creators', v.creators, 1, 10_000_000, USAGE),
    posts: numberFlag('posts', v.posts, 0, 10_000, USAGE),
    fans: numberFlag('fans', v.fans, 1, 10_000_000, USAGE),
    follows: numberFlag('follows', v.follows, 0, 10_000, USAGE),
    clients: numberFlag('clients', v.clients, 1, 256, USAGE),
    durationS: numberFlag('duration', v.duration, 1, 600, USAGE, false),
    warmupS: numberFlag('warmup', v.warmup, 0, 60, USAGE, false),
  };
  const clients = Math.min(f.clients, f.fans);
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log);
  cleanups.onSigint();
  try {
    const data = await benchData('cluster', cleanups, 'pairly-search');
    const logger = createLogger({ level: 'silent', nodeId: 'search-bench' });
    const db = createPgDatabase({ url: data.databaseUrl!, poolSize: 4, logger });
    cleanups.add(() => db.close());
    await migrate(db, logger);
    log(`search bench: ${data.description}; node ${process.version}, ${CORES} cores, load average ${load1().toFixed(2)}`);

    // Seed with the seed script's code; the node hashes at 1 MiB like every bench, so the hash matches its settings.
    const passwordHash = await createPasswordHasher(Number(BENCH_SERVER_ENV.ARGON2_MEMORY_KIB)).hash(SEED_PASSWORD);
    const summary = await seed(
      db,
      { users: f.fans, creators: f.creators, posts: f.posts, follows: f.follows, conversations: 0, seed: 1, passwordHash, fanoutMax: 20_000 },
      (phase, done, total) => printer.status(`[seed] ${phase} ${done}/${total}`),
    );
    const rows = Object.values(summary.inserted).reduce((a, b) => a + b, 0);
    log(
      `seeded in ${(summary.ms / 1000).toFixed(1)} s: ${Object.entries(summary.inserted).map(([t, n]) => `${t} ${n}`).join(', ')}` +
        ` (${rows} rows, ${((summary.ms * 1000) / Math.max(1, rows)).toFixed(0)} µs per row)`,
    );

    const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
    await admin.connect();
    cleanups.add(() => admin.end());
    const env = { ...BENCH_SERVER_ENV, ...data.env, LOG_LEVEL: 'warn' };
    const node = await startNodeProcess(env);
    cleanups.add(() => node.stop());
    log(`node ${node.url} (${envLine(BENCH_SERVER_ENV)})`);
    const tokens = await Promise.all(Array.from({ length: clients }, async (_, i) => (await logIn(node.url, seedEmail('fan', i), SEED_PASSWORD)).accessToken));

    const startLoad = v['no-wait'] ? load1() : await waitForLowLoad(log);
    const watch = new CpuWatch({ admin, pgDatabase: data.database! });
    const byKind = new Map<string, LatencyRecorder>();
    const variant = async (label: string, path: (i: number, n: number) => { path: string; kind?: Kind }) => {
      let n = 0;
      let measuring = false;
      const request = async (i: number) => {
        const p = path(i, n++);
        const t = performance.now();
        const res = await fetch(`${node.url}${p.path}`, { headers: { authorization: `Bearer ${tokens[i]}` }, signal: AbortSignal.timeout(30_000) }).catch((err: Error) => {
          throw new LoadError('FETCH_FAILED', err.message);
        });
        await res.arrayBuffer();
        if (!res.ok) throw new LoadError(`HTTP_${res.status}`, `${p.path}: ${res.status}`);
        if (measuring && p.kind) {
          const key = `${label} / ${p.kind}`;
          if (!byKind.has(key)) byKind.set(key, new LatencyRecorder(1 << 12));
          byKind.get(key)!.record(performance.now() - t);
        }
      };
      const before = await scrapeProbe(node.url);
      let start: { cpu: Awaited<ReturnType<CpuWatch['snapshot']>>; server: Awaited<ReturnType<typeof scrapeProbe>> } | undefined;
      const run: RunResult = await runLoop(
        { clients, setupMs: {}, request, close: async () => undefined },
        {
          label,
          inflight: 1,
          durationS: f.durationS,
          warmupS: f.warmupS,
          ratePerLoop: 0,
          onProgress: (s) => printer.update(s),
          onMeasureStart: () => {
            measuring = true;
            void Promise.all([watch.snapshot(), scrapeProbe(node.url)]).then(([cpu, server]) => (start = { cpu, server }));
          },
        },
      );
      const [endCpu, after] = await Promise.all([watch.snapshot(), scrapeProbe(node.url)]);
      const w = start ? CpuWatch.window(start.cpu, endCpu) : undefined;
      const row: SummaryRow = {
        scenario: 'search',
        target: label,
        run,
        ...(before && after ? { server: usageOf(before, start?.server, after) } : {}),
        ...(w?.machinePct !== undefined ? { machinePct: w.machinePct } : {}),
      };
      printer.end();
      return { row, pgPct: w?.pgPct };
    };

    const creatorsMix = queryMix('creators');
    const postsMix = queryMix('posts');
    const pick = (mix: Query[], base: string) => (i: number, n: number) => {
      const q = mix[(n * 7 + i) % mix.length]!;
      return { path: `${base}${encodeURIComponent(q.q)}`, kind: q.kind };
    };
    const results = [
      await variant('healthz', () => ({ path: '/healthz' })),
      await variant('creators list', () => ({ path: '/api/creators?sort=new' })),
      await variant('creators ?q=', pick(creatorsMix, '/api/creators?q=')),
      await variant('posts ?q=', pick(postsMix, '/api/search/posts?q=')),
    ];

    console.log(`\nsearch over ${f.creators} creators and ${f.creators * f.posts} posts; ${clients} clients, closed loop, ${f.durationS} s per variant; load average at start ${startLoad.toFixed(2)}`);
    console.log(summaryTable(results.map((r) => r.row)));
    console.log(`\nPostgreSQL CPU (this database's backends, % of one core): ${results.map((r) => `${r.row.target} ${r.pgPct?.toFixed(0) ?? '—'}%`).join(', ')}`);
    console.log(cpuNote());
    console.log('\nby kind of query (same runs):');
    console.log(mdRow(['variant / kind', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms']));
    console.log(mdRow(['---', '---:', '---:', '---:', '---:', '---:']));
    for (const [key, rec] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
      const s = rec.summary();
      console.log(mdRow([key, s.count, fmtMs(s.p50), fmtMs(s.p95), fmtMs(s.p99), fmtMs(s.max)]));
    }
    const errors = results.reduce((a, r) => a + r.row.run.errors, 0);
    if (errors) console.log(`FAILED: ${errors} requests failed: ${results.map((r) => JSON.stringify(r.row.run.errorCodes)).join(' ')}`);
    return errors ? 1 : 0;
  } finally {
    await cleanups.run();
  }
}
