import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { newUser } from '../../../support/client.js';
import { startNodeProcess, type NodeProcess } from '../../../support/pairly.js';
import { envFlag, numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1, waitForLowLoad } from '../../lib/machine.js';
import { waitForQuiet } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { BENCH_SERVER_ENV, benchData, envLine } from '../../lib/server-env.js';
import type { ChatProgress, LoopSettings } from '../chat/protocol.js';
import { chatProgressLine } from '../chat/report.js';
import { CHAT_BENCH_ENV } from '../chat/targets.js';
import { FanDriver } from './children.js';
import { CpuMeter } from './cpu.js';
import { failedRun, fanoutTable, phaseTable, summaryLines, type FanoutRow, type PhaseKind, type PhaseRow } from './report.js';
import { publishAndWatch, seedFollowers, type FanoutResult } from './seed.js';

/**
 * `npm run bench -- fanout-chat`: how one post's fan-out to 100,000 followers affects other users' chat.
 *
 *   one cluster-mode node + the workers process (which runs posts.fan-out, as in production),
 *   a database and Redis prefix of their own on the local PostgreSQL and Redis
 *     → the creator signs up; 100,000 followers seeded by SQL (not measured)
 *     → chat pairs sign up and connect once (driver child); chat warms up (not measured)
 *     → per round, on the same processes and sockets, chat paced at --rate:
 *          a. alone   b. while one post fans out (published at the window's start)   c. alone again
 *
 * Per phase: ack and delivery latency, errors, lost, and where the CPU went (node, workers, PostgreSQL,
 * Redis, clients, other). Per fan-out: rows, time to finish (published_at → fanout_done_at), rows/s, and the
 * chat's 1-s p99 while it ran. Results: BENCHMARKS.md, "The fan-out beside chat".
 */
const USAGE = `usage: npm run bench -- fanout-chat [flags]
  --clients N        chat clients, in pairs (default 200)
  --rate R           chat messages per second in total (default 200)
  --followers F      followers of the posting creator, seeded by SQL (default 100000)
  --rounds N         rounds of alone / fan-out / alone again (default 2)
  --window S         measured seconds of chat per phase (default 15)
  --warmup S         chat before the first round, not measured (default 15)
  --env KEY=VALUE    extra setting for the node and the workers (repeatable), e.g. --env FEED_FANOUT_BATCH=1000
  --quiet PCT        before each round, with chat idle, wait until the whole machine is busy at most PCT % of one
                     core over 2 s (default 50; 0 = do not wait)
  --quiet-wait S     give up waiting for quiet after S seconds and run anyway (default 180)
  --no-wait          do not wait (up to 5 minutes) for a load average below 1.2 before the rounds
The node and the workers get FEED_FANOUT_MAX=F+1 so that the creator's posts fan out on write.`;

export async function benchFanoutChat(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      clients: { type: 'string', default: '200' },
      rate: { type: 'string', default: '200' },
      followers: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '2' },
      window: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '15' },
      env: { type: 'string', multiple: true },
      quiet: { type: 'string', default: '50' },
      'quiet-wait': { type: 'string', default: '180' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const clients = numberFlag('clients', v.clients, 2, 10_000, USAGE);
  const rate = numberFlag('rate', v.rate, 1, 5_000, USAGE);
  const followers = numberFlag('followers', v.followers, 1, 2_000_000, USAGE);
  const rounds = numberFlag('rounds', v.rounds, 1, 10, USAGE);
  const windowS = numberFlag('window', v.window, 1, 600, USAGE);
  const warmupS = numberFlag('warmup', v.warmup, 0, 600, USAGE);
  const extraEnv = envFlag(v.env, USAGE);
  const quietPct = numberFlag('quiet', v.quiet, 0, 200, USAGE, false);
  const quietWaitS = numberFlag('quiet-wait', v['quiet-wait'], 0, 3600, USAGE, false);
  const loop = (durationS: number, warm: number): LoopSettings => ({
    rate,
    senders: 0,
    warmupS: warm,
    durationS,
    graceMs: 3000,
    timeoutMs: 5000,
    maxInflight: Math.max(200, 2 * rate),
    receipts: true,
    bodyBytes: 64,
    // Paced at `rate` (an open loop), as the chat bench's steady runs: not a closed loop.
    closed: 0,
    reactions: 0,
  });

  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log, 30_000);
  let interrupted = false;
  cleanups.onSigint(undefined, () => (interrupted = true));
  const header =
    `bench fanout-chat: ${clients} chat clients at ${rate} msg/s, ${followers} followers, ${rounds} round(s) of ${windowS}s phases; ` +
    `node ${process.version}, ${CORES} cores, commit ${git(['rev-parse', '--short', 'HEAD'])}` +
    `${git(['status', '--porcelain', '--', 'server', 'shared']) ? ' + uncommitted changes in server/ or shared/' : ''}`;
  log(header);

  const phases: PhaseRow[] = [];
  const fanouts: FanoutRow[] = [];
  const procs: NodeProcess[] = [];
  try {
    const data = await benchData('cluster', cleanups, 'pairly-fanout-chat');
    const settings = { ...CHAT_BENCH_ENV, FEED_FANOUT_MAX: String(followers + 1), ...extraEnv };
    const env = { ...data.env, ...BENCH_SERVER_ENV, ...settings, LOG_LEVEL: 'warn' };
    log(`${data.description}; ${envLine(settings)}`);
    const node = await startNodeProcess(env);
    cleanups.add(async () => void (await node.stop()));
    const workers = await startNodeProcess(env, { entry: 'workers/src/main.ts', waitForHealth: false });
    cleanups.add(async () => void (await workers.stop()));
    procs.push(node, workers);
    log(`node ${node.url} (pid ${node.child.pid}), workers pid ${workers.child.pid}`);

    const db = new pg.Pool({ connectionString: data.databaseUrl, max: 2 });
    cleanups.add(() => db.end());
    const creator = await newUser(node.url, { displayName: 'Fan-out creator', role: 'creator' });
    const seedMs = await seedFollowers(db, creator.user.id, followers);
    log(`seeded ${followers} followers of the creator in ${Math.round(seedMs)} ms (not measured)`);

    // The live line: the chat's, and the fan-out's state while one runs.
    let fanState = '';
    let fanP99: number[] | undefined;
    const onProgress = (s: ChatProgress) => {
      if (fanP99 && s.phase === 'measure') fanP99.push(s.p99Ms);
      printer.status(`${chatProgressLine(s)}${fanState ? `  | ${fanState}` : ''}`);
    };
    const driver = new FanDriver(printer, onProgress);
    cleanups.add(() => driver.stop());
    driver.send({ type: 'prepare', url: node.url, clients, concurrency: 8, loop: loop(windowS, 1) });
    await driver.wait('prepared', 10 * 60_000);
    const cpu = new CpuMeter({ node: node.child.pid!, workers: workers.child.pid!, clients: driver.pid, database: data.database! });
    const phaseBudgetMs = (windowS + 30) * 1000 + 60_000;

    if (warmupS > 0) {
      driver.send({ type: 'phase', label: 'chat warm-up', loop: loop(warmupS, 0) });
      await driver.wait('measure-start', phaseBudgetMs);
      await driver.wait('measure-end', phaseBudgetMs + warmupS * 1000);
      const { result } = await driver.wait('result', phaseBudgetMs);
      printer.end();
      log(`chat warm-up (not measured): ${warmupS}s, ack p99 ${result.ackLatency.p99.toFixed(1)} ms, errors ${result.errors}`);
    }
    if (!v['no-wait']) await waitForLowLoad(log);

    for (let r = 1; r <= rounds && !interrupted; r++) {
      if (quietPct > 0) {
        // The machine is shared: a round starts when the rest of it is calm, and its three phases follow at once.
        const w = await waitForQuiet({ pct: quietPct, maxS: quietWaitS, onBusy: (b) => log(`round ${r}: machine busy (${b.toFixed(0)}% of a core with chat idle): waiting for ≤ ${quietPct}%`) });
        if (w.timedOut) log(`round ${r}: machine still busy (${w.busyPct.toFixed(0)}% of a core) after ${quietWaitS} s: starting anyway`);
      }
      for (const kind of ['alone', 'fan-out', 'alone again'] as PhaseKind[]) {
        assertAlive(procs);
        const label = `round ${r} ${kind}`;
        driver.send({ type: 'phase', label, loop: loop(windowS, 1) });
        await driver.wait('measure-start', phaseBudgetMs);
        const mark = await cpu.mark();
        let watching: Promise<{ fanout: FanoutResult; end: Awaited<ReturnType<CpuMeter['between']>> }> | undefined;
        let done = false;
        if (kind === 'fan-out') {
          fanP99 = [];
          fanState = 'fan-out: publishing';
          watching = publishAndWatch({
            db,
            url: node.url,
            token: creator.accessToken,
            timeoutMs: 15 * 60_000,
            onProgress: (s) => (fanState = `fan-out running ${s.toFixed(1)}s`),
          }).then(async (fanout) => {
            done = true;
            fanState = `fan-out done: ${fanout.rows} rows in ${(fanout.finishMs / 1000).toFixed(2)} s`;
            const p = fanP99!;
            fanP99 = undefined;
            const end = await cpu.between(mark);
            fanouts.push({ round: r, fanout, cpu: end, p99PerSecond: p, outlasted: false });
            return { fanout, end };
          });
          watching.catch(() => undefined);
        }
        await driver.wait('measure-end', phaseBudgetMs);
        const use = await cpu.between(mark);
        const { result } = await driver.wait('result', phaseBudgetMs);
        printer.end();
        phases.push({ round: r, kind, result, cpu: use });
        if (watching) {
          const outlasted = !done;
          if (outlasted) log(`round ${r}: the fan-out is still running after the chat window; waiting for it`);
          await watching;
          if (outlasted) fanouts.at(-1)!.outlasted = true;
          fanState = '';
        }
        const a = result.ackLatency;
        log(`${label}: ack p50 ${a.p50.toFixed(1)} p95 ${a.p95.toFixed(1)} p99 ${a.p99.toFixed(1)} ms, errors ${result.errors}, lost ${result.total.lost}`);
      }
    }
  } catch (err) {
    printer.end();
    if (!interrupted) log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    for (const p of procs) log(`pid ${p.child.pid} output:\n${p.output().trim().split('\n').slice(-20).join('\n')}`);
    await cleanups.run();
    return interrupted ? 130 : 1;
  }
  if (interrupted) {
    await cleanups.run();
    return 130;
  }
  const failure = failedRun(phases, fanouts, followers);
  const lines = [
    '',
    header,
    '',
    `chat at ${rate} msg/s (${clients} clients, receipts on), latency in ms; CPU in % of one core (${CORES * 100}% = the machine)`,
    phaseTable(phases),
    '',
    `fan-out of one post to ${followers} followers (job in the workers process)`,
    fanoutTable(fanouts, followers),
    '',
    ...summaryLines(phases, fanouts),
    `load average at the end: ${load1().toFixed(2)}`,
    ...(failure ? [`FAILED: ${failure}`] : []),
  ];
  console.log(lines.join('\n'));
  await cleanups.run();
  return failure ? 1 : 0;
}

function assertAlive(procs: NodeProcess[]): void {
  for (const p of procs) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`a Pairly process (pid ${p.child.pid}) exited (${p.child.exitCode ?? p.child.signalCode})`);
    }
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}
