import { nodeUrls, numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { load1 } from '../../lib/machine.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { MatchCrowd, signUpCrowd } from './crowd.js';
import { errorLines, notes, RATE_LIMIT_WARNING, table, type Row } from './report.js';
import { runWindow } from './window.js';

/**
 * `npm run load -- match --url U [--url U ...]`: the crowd of bench.ts against
 * running nodes, spread over them; client-side checks only (the database is
 * not this script's).
 */

const USAGE = `usage: npm run load -- match --url URL [--url URL ...] [flags]
  --url URL              a running Pairly node (127.0.0.0/8 only); repeat for several nodes
  --clients N            cycling users (default 200), signed up on the node they talk to
  --duration S           measured seconds (default 15)
  --warmup S             unmeasured seconds first (default 3)
  --timeout MS           ack timeout and longest session (default 10000)
  --setup-concurrency N  sign-ups and connects at once (default 16)
  --chat-inflight N      chat:send in flight per node at most, 0 = no cap (default 4: more can deadlock
                         a node's pool of the default DATABASE_POOL_SIZE=10, see crowd.ts)
Nodes with the default limits throttle this loop (RATE_LIMITED): start them with e.g.
  MATCH_SKIPS_PER_MINUTE=1000000 MATCH_COOLDOWN_SECONDS=1 CHAT_MESSAGES_PER_10S=1000000 \\
  CHAT_FLOOD_PER_5S=1000000 SOCKET_EVENTS_PER_SECOND=10000 SIGNUP_MAX_PER_IP=1000000 HTTP_MAX_REQUESTS_PER_IP=1000000`;

export async function loadMatch(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      url: { type: 'string', multiple: true },
      clients: { type: 'string', short: 'c', default: '200' },
      duration: { type: 'string', short: 'd', default: '15' },
      warmup: { type: 'string', default: '3' },
      timeout: { type: 'string', default: '10000' },
      'setup-concurrency': { type: 'string', default: '16' },
      'chat-inflight': { type: 'string', default: '4' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const clients = numberFlag('clients', v.clients, 2, 20_000, USAGE);
  const durationS = numberFlag('duration', v.duration, 1, 600, USAGE, false);
  const warmupS = numberFlag('warmup', v.warmup, 0, 60, USAGE, false);
  const timeoutMs = numberFlag('timeout', v.timeout, 100, 120_000, USAGE);
  const setupConcurrency = numberFlag('setup-concurrency', v['setup-concurrency'], 1, 256, USAGE);
  const chatInflight = numberFlag('chat-inflight', v['chat-inflight'], 0, 10_000, USAGE);
  const urls = await nodeUrls(v.url, USAGE);
  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  let crowd: MatchCrowd | undefined;
  const cleanups = new Cleanups(log);
  cleanups.add(() => crowd?.close());
  cleanups.onSigint();
  log(`load match: ${clients} cycling users over ${urls.length} node(s), ${warmupS}s warm-up + ${durationS}s; load average ${load1().toFixed(2)}`);
  let rateLimited = false;
  crowd = new MatchCrowd({
    timeoutMs,
    interestShare: 0.3,
    chatInflightPerNode: chatInflight,
    onNewErrorCode: (code, message) => {
      if (code === 'RATE_LIMITED') {
        rateLimited = true;
        log(RATE_LIMIT_WARNING);
      }
      log(`first ${code}: ${message}`);
    },
  });
  const t0 = performance.now();
  const users = await signUpCrowd(urls, clients, setupConcurrency);
  const signupMs = Math.round(performance.now() - t0);
  await crowd.connect(users, setupConcurrency);
  log(`${users.length} users signed up in ${signupMs} ms, connected in ${Math.round(performance.now() - t0 - signupMs)} ms`);
  const w = await runWindow({ label: `match ×${urls.length}`, crowd, urls, warmupS, durationS, printer });
  w.result.halfDelivered = await crowd.close();
  const row: Row = { round: 1, nodes: urls.length, standing: 0, passMs: undefined, ...w };
  console.log(
    [
      '',
      table([row], false),
      ...errorLines([row]),
      '',
      `Client-side double pairings: ${row.result.doublePairings}. Sessions found by only one of their two users: ${row.result.halfDelivered}. ` +
        `(No database check: load does not own the nodes' database.)`,
      `Node RSS MB at the end: ${w.server.rssMb.map((x) => x.toFixed(0)).join(', ') || '—'}. Redis and PostgreSQL are not watched here: their CPU is in "other".`,
      ...(rateLimited ? ['', RATE_LIMIT_WARNING] : []),
      '',
      notes(timeoutMs),
    ].join('\n'),
  );
  return row.result.errors > 0 || row.result.doublePairings > 0 ? 1 : 0;
}
