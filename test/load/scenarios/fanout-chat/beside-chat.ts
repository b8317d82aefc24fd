import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { startNodeProcess, type NodeProcess } from '../../../support/pairly.js';
import { envFlag, numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1, median, waitForLowLoad } from '../../lib/machine.js';
import { waitForQuiet } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { BENCH_SERVER_ENV, benchData, envLine } from '../../lib/server-env.js';
import type { ChatProgress, ChatRoundResult, LoopSettings } from '../chat/protocol.js';
import { chatProgressLine } from '../chat/report.js';
import { CHAT_BENCH_ENV } from '../chat/targets.js';
import { FanDriver } from './children.js';
import { CpuMeter, type CpuUse } from './cpu.js';

/**
 * The harness of the benches that measure other users' chat beside one big background job (`fanout-chat`:
 * a post's fan-out; `mass-message`: a creator's mass message):
 *
 *   one cluster-mode node + the workers process (which runs the job, as in production),
 *   a database and Redis prefix of their own on the local PostgreSQL and Redis
 *     → `setup` (the bench's creator and its seeded followers)
 *     → chat pairs sign up and connect once (driver child); chat warms up (not measured)
 *     → per round, on the same processes and sockets, chat paced at --rate:
 *          a. alone   b. while the job runs (`start`ed at the window's start; waited for if it outlasts it)
 *          c. alone again
 *
 * Per phase: ack and delivery latency, errors, lost, and where the CPU went. Per job: what `start` returns,
 * the CPU over the job itself and the chat's 1-s p99 of each second while it ran.
 */

export interface PhaseRow {
  round: number;
  /** 'alone', the job's name, or 'alone again'. */
  kind: string;
  result: ChatRoundResult;
  cpu: CpuUse;
}

export interface JobRow<R> {
  round: number;
  result: R;
  /** CPU over the job itself (start → done seen). */
  cpu: CpuUse;
  /** The chat's 1-s p99 (delivery) of each second while the job ran. */
  p99PerSecond: number[];
  /** The job went on after the chat window closed. */
  outlasted: boolean;
}

export interface BesideChatFlags {
  clients: number;
  rate: number;
  followers: number;
  rounds: number;
  windowS: number;
  warmupS: number;
  extraEnv: Record<string, string>;
  quietPct: number;
  quietWaitS: number;
  noWait: boolean;
}

/** The usage text: the flags every such bench takes, `--rounds`' default and an `--env` example of its own. */
export function besideChatUsage(o: { name: string; job: string; rounds: number; envExample: string; footer?: string }): string {
  return `usage: npm run bench -- ${o.name} [flags]
  --clients N        chat clients, in pairs (default 200)
  --rate R           chat messages per second in total (default 200)
  --followers F      followers of the creator, seeded by SQL (default 100000)
  --rounds N         rounds of alone / ${o.job} / alone again (default ${o.rounds})
  --window S         measured seconds of chat per phase (default 15)
  --warmup S         chat before the first round, not measured (default 15)
  --env KEY=VALUE    extra setting for the node and the workers (repeatable), e.g. --env ${o.envExample}
  --quiet PCT        before each round, with chat idle, wait until the whole machine is busy at most PCT % of one
                     core over 2 s (default 50; 0 = do not wait)
  --quiet-wait S     give up waiting for quiet after S seconds and run anyway (default 180)
  --no-wait          do not wait (up to 5 minutes) for a load average below 1.2 before the rounds${o.footer ? `\n${o.footer}` : ''}`;
}

export function parseBesideChat(usage: string, argv: string[], rounds: number): BesideChatFlags {
  const { values: v } = parseCli(usage, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      clients: { type: 'string', default: '200' },
      rate: { type: 'string', default: '200' },
      followers: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: String(rounds) },
      window: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '15' },
      env: { type: 'string', multiple: true },
      quiet: { type: 'string', default: '50' },
      'quiet-wait': { type: 'string', default: '180' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return {
    clients: numberFlag('clients', v.clients, 2, 10_000, usage),
    rate: numberFlag('rate', v.rate, 1, 5_000, usage),
    followers: numberFlag('followers', v.followers, 1, 2_000_000, usage),
    rounds: numberFlag('rounds', v.rounds, 1, 10, usage),
    windowS: numberFlag('window', v.window, 1, 600, usage),
    warmupS: numberFlag('warmup', v.warmup, 0, 600, usage),
    extraEnv: envFlag(v.env, usage),
    quietPct: numberFlag('quiet', v.quiet, 0, 200, usage, false),
    quietWaitS: numberFlag('quiet-wait', v['quiet-wait'], 0, 3600, usage, false),
    noWait: v['no-wait'] === true,
  };
}

export interface BesideChatRun<R> {
  name: string;
  /** The middle phase's name, e.g. 'fan-out'. */
  job: string;
  flags: BesideChatFlags;
  /** Settings for the node and the workers beyond the chat bench's (before `--env`, which wins). */
  settings?: Record<string, string>;
  /** After the node and the workers are up, before the chat clients connect. */
  setup(ctx: { node: NodeProcess; db: pg.Pool; log: (m: string) => void; cleanups: Cleanups }): Promise<void>;
  /** Starts the job at a middle window's start; resolves with its result once done. `state` feeds the live line. */
  start(ctx: { round: number; state: (s: string) => void }): Promise<R>;
  /** The live line's words once the job is done. */
  doneState(r: R): string;
  /** The tables and summary lines of the finished run (the phase table is printed before them). */
  report(phases: PhaseRow[], jobs: JobRow<R>[]): string[];
  /** Why the run failed (besides lost or doubled chat messages), if it did. */
  failure(jobs: JobRow<R>[]): string | undefined;
}

/** Runs it; the exit code: 0, 1 (failed or a check failed), 130 (interrupted). */
export async function runBesideChat<R>(o: BesideChatRun<R>): Promise<number> {
  const { flags } = o;
  const loop = (durationS: number, warm: number): LoopSettings => ({
    // Paced at `rate` (an open loop), as the chat bench's steady runs: not a closed loop.
    rate: flags.rate,
    senders: 0,
    warmupS: warm,
    durationS,
    graceMs: 3000,
    timeoutMs: 5000,
    maxInflight: Math.max(200, 2 * flags.rate),
    receipts: true,
    bodyBytes: 64,
    closed: 0,
    reactions: 0,
  });

  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log, 30_000);
  let interrupted = false;
  cleanups.onSigint(undefined, () => (interrupted = true));
  const header =
    `bench ${o.name}: ${flags.clients} chat clients at ${flags.rate} msg/s, ${flags.followers} followers, ${flags.rounds} round(s) of ${flags.windowS}s phases; ` +
    `node ${process.version}, ${CORES} cores, commit ${git(['rev-parse', '--short', 'HEAD'])}` +
    `${git(['status', '--porcelain', '--', 'server', 'shared']) ? ' + uncommitted changes in server/ or shared/' : ''}`;
  log(header);

  const phases: PhaseRow[] = [];
  const jobs: JobRow<R>[] = [];
  const procs: NodeProcess[] = [];
  try {
    const data = await benchData('cluster', cleanups, `pairly-${o.name}`);
    const settings = { ...CHAT_BENCH_ENV, ...o.settings, ...flags.extraEnv };
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
    await o.setup({ node, db, log, cleanups });

    // The live line: the chat's, and the job's state while one runs.
    let jobState = '';
    let jobP99: number[] | undefined;
    const onProgress = (s: ChatProgress) => {
      if (jobP99 && s.phase === 'measure') jobP99.push(s.p99Ms);
      printer.status(`${chatProgressLine(s)}${jobState ? `  | ${jobState}` : ''}`);
    };
    const driver = new FanDriver(printer, onProgress);
    cleanups.add(() => driver.stop());
    driver.send({ type: 'prepare', url: node.url, clients: flags.clients, concurrency: 8, loop: loop(flags.windowS, 1) });
    await driver.wait('prepared', 10 * 60_000);
    const cpu = new CpuMeter({ node: node.child.pid!, workers: workers.child.pid!, clients: driver.pid, database: data.database! });
    const phaseBudgetMs = (flags.windowS + 30) * 1000 + 60_000;

    if (flags.warmupS > 0) {
      driver.send({ type: 'phase', label: 'chat warm-up', loop: loop(flags.warmupS, 0) });
      await driver.wait('measure-start', phaseBudgetMs);
      await driver.wait('measure-end', phaseBudgetMs + flags.warmupS * 1000);
      const { result } = await driver.wait('result', phaseBudgetMs);
      printer.end();
      log(`chat warm-up (not measured): ${flags.warmupS}s, ack p99 ${result.ackLatency.p99.toFixed(1)} ms, errors ${result.errors}`);
    }
    if (!flags.noWait) await waitForLowLoad(log);

    for (let r = 1; r <= flags.rounds && !interrupted; r++) {
      if (flags.quietPct > 0) {
        // The machine is shared: a round starts when the rest of it is calm, and its three phases follow at once.
        const w = await waitForQuiet({ pct: flags.quietPct, maxS: flags.quietWaitS, onBusy: (b) => log(`round ${r}: machine busy (${b.toFixed(0)}% of a core with chat idle): waiting for ≤ ${flags.quietPct}%`) });
        if (w.timedOut) log(`round ${r}: machine still busy (${w.busyPct.toFixed(0)}% of a core) after ${flags.quietWaitS} s: starting anyway`);
      }
      for (const kind of ['alone', o.job, 'alone again']) {
        assertAlive(procs);
        const label = `round ${r} ${kind}`;
        driver.send({ type: 'phase', label, loop: loop(flags.windowS, 1) });
        await driver.wait('measure-start', phaseBudgetMs);
        const mark = await cpu.mark();
        let watching: Promise<R> | undefined;
        let done = false;
        if (kind === o.job) {
          jobP99 = [];
          jobState = `${o.job}: starting`;
          watching = o.start({ round: r, state: (s) => (jobState = s) }).then(async (result) => {
            done = true;
            jobState = o.doneState(result);
            const p = jobP99!;
            jobP99 = undefined;
            jobs.push({ round: r, result, cpu: await cpu.between(mark), p99PerSecond: p, outlasted: false });
            return result;
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
          if (outlasted) log(`round ${r}: the ${o.job} is still going after the chat window; waiting for it`);
          await watching;
          if (outlasted) jobs.at(-1)!.outlasted = true;
          jobState = '';
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
  const failure = chatFailure(phases) ?? o.failure(jobs);
  const lines = [
    '',
    header,
    '',
    `chat at ${flags.rate} msg/s (${flags.clients} clients, receipts on), latency in ms; CPU in % of one core (${CORES * 100}% = the machine)`,
    phaseTable(phases),
    '',
    ...o.report(phases, jobs),
    ...phaseSummary(phases, o.job),
    `load average at the end: ${load1().toFixed(2)}`,
    ...(failure ? [`FAILED: ${failure}`] : []),
  ];
  console.log(lines.join('\n'));
  await cleanups.run();
  return failure ? 1 : 0;
}

export const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
export const pct = (n: number | undefined) => (n === undefined ? '–' : `${Math.round(n)}%`);

/** The chat's 1-s p99 while the job ran, as a table cell. */
export const p99Cell = (p: number[]) => (p.length ? `${f(Math.max(...p))} / ${f(median(p))} ms (${p.length} s)` : 'under 1 s');

export function phaseTable(rows: PhaseRow[]): string {
  const head =
    '| round | phase | sent/s | ack p50 | ack p95 | ack p99 | ack max | delivery p99 | errors | lost | node CPU | workers CPU | PostgreSQL CPU | Redis CPU | clients CPU | other CPU | load1 |';
  const sep = '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const lines = rows.map((r) => {
    const a = r.result.ackLatency;
    const errs = r.result.errors ? `${r.result.errors} (${Object.entries(r.result.errorCodes).map(([k, v]) => `${k} ${v}`).join(', ')})` : '0';
    return (
      `| ${r.round} | ${r.kind} | ${f(r.result.sentRate, 0)} | ${f(a.p50)} | ${f(a.p95)} | ${f(a.p99)} | ${f(a.max, 0)} | ${f(r.result.latency.p99)} | ${errs} | ${r.result.total.lost} ` +
      `| ${pct(r.cpu.nodePct)} | ${pct(r.cpu.workersPct)} | ${pct(r.cpu.pgPct)} | ${pct(r.cpu.redisPct)} | ${pct(r.cpu.clientsPct)} | ${pct(r.cpu.otherPct)} | ${f(r.cpu.load1, 2)} |`
    );
  });
  return [head, sep, ...lines].join('\n');
}

/** Medians over the rounds per phase, and the job's phase against the two alone phases. */
export function phaseSummary(rows: PhaseRow[], job: string): string[] {
  const of = (k: string, pick: (r: PhaseRow) => number) => median(rows.filter((r) => r.kind === k).map(pick));
  const out: string[] = [];
  for (const k of ['alone', job, 'alone again']) {
    out.push(
      `${k.padEnd(12)} median over rounds: ack p50 ${f(of(k, (r) => r.result.ackLatency.p50))} ms, p95 ${f(of(k, (r) => r.result.ackLatency.p95))} ms, ` +
        `p99 ${f(of(k, (r) => r.result.ackLatency.p99))} ms; delivery p99 ${f(of(k, (r) => r.result.latency.p99))} ms`,
    );
  }
  const alone = median(rows.filter((r) => r.kind !== job).map((r) => r.result.ackLatency.p99));
  const during = of(job, (r) => r.result.ackLatency.p99);
  if (alone && during !== undefined) out.push(`ack p99 during the ${job} / alone (median of both alone phases): ${f(during / alone, 2)}×`);
  return out;
}

/** Lost, duplicated or stray chat messages fail the run. */
export function chatFailure(rows: PhaseRow[]): string | undefined {
  const bad = rows.find((r) => r.result.total.lost || r.result.total.duplicates || r.result.total.strays);
  if (bad) return `round ${bad.round} ${bad.kind}: ${bad.result.total.lost} lost, ${bad.result.total.duplicates} duplicated, ${bad.result.total.strays} stray`;
  return undefined;
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
