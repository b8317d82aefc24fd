import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../../../../server/src/config.js';
import { connect, newUser } from '../../../support/client.js';
import { startNodeProcess, tempDir, type NodeProcess } from '../../../support/pairly.js';
import { startS3Standin } from '../../../support/s3-standin.js';
import { PG_BASE_URL, TEST_REDIS_URL } from '../../../support/services.js';
import { choiceFlag, envFlag, numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, CpuWatch, load1, waitForLowLoad } from '../../lib/machine.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { benchData, BENCH_SERVER_ENV, envLine } from '../../lib/server-env.js';
import { closeAll, pool } from '../../lib/sessions.js';
import { benchPhoto, benchVideo } from './fixtures.js';
import { bareRound, pairlyRound, type PairlyTarget, type PipelineKind, type PipelineRound, type RoundProcesses } from './pipeline-rounds.js';
import { errorLines, pipelineNotes, pipelineRatioLines, pipelineTable, uploadLine, type PipelineLabels } from './pipeline-report.js';

/**
 * `npm run bench -- media pipeline`: issue #11's "time from confirm to
 * ready, p50/p95, under 10 concurrent uploads", through a real Pairly: a
 * node process (and in cluster mode the workers process, on a database and
 * Redis prefix of the bench's own), users signed up through the API, each
 * with a socket. Each round sends N uploads of the 12-megapixel JPEG at once
 * (and of a short 1080p clip in the video part), confirms them all at once,
 * and times each from the confirm's answer to its `media:updated` ready push.
 * In the same run, alternating which goes first, the same file goes through
 * processImage/processVideo in this process N at once: the bare cost of the
 * work, so that the difference is what the queue, storage, database and push add.
 */

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

const USAGE = `usage: npm run bench -- media pipeline [flags]
  --mode M            cluster (default: a node process and the workers process on local PostgreSQL and Redis, BullMQ)
                      or embedded (one node process: PGlite, jobs in the node)
  --storage S         local (default: the data dir, shared by the node and the workers) or s3 (the S3 stand-in,
                      test/support/s3-standin.ts, in this process: its CPU counts as bench CPU)
  --uploads N         uploads at once per round, one user each (default 10)
  --rounds R          measured image rounds (default 5); each runs Pairly and the bare baseline once, alternating which goes first
  --video-rounds R    measured rounds of the video part (default 1; 0 = none)
  --video-seconds S   length of the 1080p clip the video part uploads (default 5)
  --timeout S         how long one item may take from confirm to ready (default 300)
  --env KEY=VALUE     extra setting for the Pairly processes (repeatable)
  --cache-dir DIR     where the generated inputs are kept (default .tmp/bench-media)
  --no-wait           do not wait for a load average below 1.2 before starting
One unmeasured item per variant warms each part up first.`;

/** Per-user upload limit raised: every round uploads again from the same users. */
const PIPELINE_ENV: Record<string, string> = { ...BENCH_SERVER_ENV, MEDIA_UPLOADS_PER_HOUR: '1000000', LOG_LEVEL: 'warn' };

export async function benchPipeline(argv: string[]): Promise<number> {
  const { values: v } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      mode: { type: 'string', default: 'cluster' },
      storage: { type: 'string', default: 'local' },
      uploads: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '5' },
      'video-rounds': { type: 'string', default: '1' },
      'video-seconds': { type: 'string', default: '5' },
      timeout: { type: 'string', default: '300' },
      env: { type: 'string', multiple: true },
      'cache-dir': { type: 'string', default: '.tmp/bench-media' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const mode = choiceFlag('mode', v.mode, ['cluster', 'embedded'] as const, USAGE);
  const storage = choiceFlag('storage', v.storage, ['local', 's3'] as const, USAGE);
  const uploads = numberFlag('uploads', v.uploads, 1, 100, USAGE);
  const rounds = numberFlag('rounds', v.rounds, 0, 50, USAGE);
  const videoRounds = numberFlag('video-rounds', v['video-rounds'], 0, 10, USAGE);
  const videoSeconds = numberFlag('video-seconds', v['video-seconds'], 1, 60, USAGE);
  const timeoutMs = numberFlag('timeout', v.timeout, 10, 3600, USAGE) * 1000;
  const extraEnv = envFlag(v.env, USAGE);
  const cacheDir = resolve(ROOT, v['cache-dir']);

  const printer = new ProgressPrinter();
  const log = (m: string) => printer.log(m);
  const cleanups = new Cleanups(log, 30_000);
  cleanups.onSigint();
  const work = join(tmpdir(), `pairly-media-pipeline-${randomUUID().slice(0, 8)}`);
  await mkdir(work, { recursive: true });
  cleanups.add(() => rm(work, { recursive: true, force: true }));

  let exitCode = 0;
  try {
    const photo = rounds > 0 ? await benchPhoto(cacheDir) : undefined;
    const video = videoRounds > 0 ? await benchVideo(cacheDir, videoSeconds, log) : undefined;
    const startLoad = v['no-wait'] ? load1() : await waitForLowLoad(log);

    const { target, labels, media } = await startPairly({ mode, storage, uploads, extraEnv, cleanups, log });
    log(`media pipeline bench: node ${process.version}, ${CORES} cores, load average ${startLoad.toFixed(2)}; ${uploads} uploads at once`);

    const out: string[] = [];
    const parts: Array<{ kind: PipelineKind; input: string; rounds: number; contentType: string }> = [
      ...(photo ? [{ kind: 'image' as const, input: photo, rounds, contentType: 'image/jpeg' }] : []),
      ...(video ? [{ kind: 'video' as const, input: video, rounds: videoRounds, contentType: 'video/mp4' }] : []),
    ];
    for (const part of parts) {
      const bytes = await readFile(part.input);
      const bare = (round: number, n: number) =>
        bareRound({ kind: part.kind, round, n, input: part.input, work, media, processes: target.processes, printer, label: `[${labels.bare[part.kind]}${round ? ` #${round}` : ' warm-up'}]` });
      const pairly = (round: number, t: PairlyTarget) =>
        pairlyRound({ target: t, kind: part.kind, round, bytes, contentType: part.contentType, timeoutMs, printer, label: `[Pairly ${part.kind}${round ? ` #${round}` : ' warm-up'}]` });

      log(`${part.kind}: ${part.input} (${(bytes.length / 1e6).toFixed(2)} MB), ${part.rounds} round(s) of ${uploads} at once; warming up (1 item each)`);
      await bare(0, 1);
      const warm = await pairly(0, { ...target, uploaders: target.uploaders.slice(0, 1) });
      if (warm.items !== 1) throw new Error(`the warm-up upload did not become ready: ${JSON.stringify(warm.errors)}`);

      const rows: PipelineRound[] = [];
      for (let round = 1; round <= part.rounds; round++) {
        const order = round % 2 === 1 ? (['bare', 'pairly'] as const) : (['pairly', 'bare'] as const);
        for (const variant of order) rows.push(variant === 'bare' ? await bare(round, uploads) : await pairly(round, target));
      }
      out.push(
        '',
        `${part.kind === 'image' ? 'Images' : 'Video'}: ${part.input} (${(bytes.length / 1e6).toFixed(2)} MB)`,
        '',
        pipelineTable(rows, labels, uploads),
        '',
        ...pipelineRatioLines(rows, labels),
        uploadLine(rows, bytes.length),
        ...errorLines(rows, labels),
      );
      if (rows.some((r) => Object.keys(r.errors).length > 0)) exitCode = 1;
    }
    out.push('', pipelineNotes(mode));
    console.log(out.join('\n'));
  } catch (err) {
    log(`media pipeline bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    exitCode = 1;
  } finally {
    await cleanups.run();
  }
  return exitCode;
}

/** The Pairly processes, the uploaders (signed up, sockets open) and what the rounds sample. */
async function startPairly(o: {
  mode: 'cluster' | 'embedded';
  storage: 'local' | 's3';
  uploads: number;
  extraEnv: Record<string, string>;
  cleanups: Cleanups;
  log: (m: string) => void;
}): Promise<{ target: PairlyTarget; labels: PipelineLabels; media: ReturnType<typeof loadConfig>['media'] }> {
  const { cleanups, log } = o;
  const data = await benchData(o.mode, cleanups, 'pairly-media-pipeline');
  let storageEnv: Record<string, string>;
  if (o.storage === 's3') {
    const s3 = await startS3Standin();
    cleanups.add(() => s3.stop());
    storageEnv = s3.env;
  } else if (o.mode === 'cluster') {
    // The node stores uploads and the workers read them: one data dir for both, as one volume would be.
    const dir = tempDir('pairly-media-pipeline-data');
    cleanups.add(() => dir.remove());
    storageEnv = { MEDIA_STORAGE: 'local', PAIRLY_DATA_DIR: dir.path };
  } else {
    storageEnv = { MEDIA_STORAGE: 'local' };
  }
  const env = { ...data.env, ...storageEnv, ...PIPELINE_ENV, ...o.extraEnv };
  log(`${data.description}; storage ${o.storage}${o.storage === 's3' ? ' (the S3 stand-in in this process)' : ''}; ${envLine({ ...PIPELINE_ENV, ...o.extraEnv })}`);

  const node = await startNodeProcess(env);
  cleanups.add(async () => void (await node.stop()));
  const procs: NodeProcess[] = [node];
  let workers: NodeProcess | undefined;
  if (o.mode === 'cluster') {
    workers = await startNodeProcess(env, { entry: 'workers/src/main.ts', waitForHealth: false });
    cleanups.add(async () => void (await workers!.stop()));
    procs.push(workers);
  }
  log(`Pairly: node ${node.url} (pid ${node.child.pid})${workers ? `, workers pid ${workers.child.pid}` : ', jobs in the node'}`);

  const processes: RoundProcesses = { nodePid: node.child.pid!, ...(workers ? { workersPid: workers.child.pid! } : {}) };
  if (o.mode === 'cluster' && data.database) {
    const admin = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
    await admin.connect();
    cleanups.add(() => admin.end());
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    cleanups.add(() => redis.quit());
    processes.watch = new CpuWatch({ admin, pgDatabase: data.database, redis });
  }

  const users = await pool(o.uploads, 8, (i) => newUser(node.url, { displayName: `Uploader ${i}` }));
  const sockets = await pool(users.length, 8, (i) => connect(node.url, users[i]!.accessToken));
  cleanups.add(() => closeAll(sockets));
  log(`${users.length} uploaders signed up, each with a socket`);

  const label = `Pairly ${o.mode} (${o.storage === 's3' ? 'S3 stand-in' : 'local storage'})`;
  return {
    target: {
      url: node.url,
      uploaders: users.map((u, i) => ({ token: u.accessToken, socket: sockets[i]! })),
      processes,
      assertAlive() {
        for (const p of procs) {
          if (p.child.exitCode !== null || p.child.signalCode !== null) {
            throw new Error(`a Pairly process (pid ${p.child.pid}) exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.output().slice(-3000)}`);
          }
        }
      },
    },
    labels: { pairly: label, bare: { image: 'processImage (bare)', video: 'processVideo (bare)' } },
    // The limits the media job passes to processing: the defaults, unless --env changed them.
    media: loadConfig({ MEDIA_STORAGE: 'local', ...o.extraEnv }).media,
  };
}
