import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { connect, newUser, type ClientSocket } from '../../../support/client.js';
import { startNodeProcess, ROOT, type NodeProcess } from '../../../support/pairly.js';
import { openSlowReader, type SlowReader } from '../../../support/slow-reader.js';
import { choiceFlag, numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { waitForLowLoad } from '../../lib/machine.js';
import { ProgressPrinter } from '../../lib/progress.js';
import { BENCH_SERVER_ENV, benchData } from '../../lib/server-env.js';
import { pool } from '../../lib/sessions.js';

/**
 * `npm run bench -- slow-reader`: what one ordinary user costs a node when
 * several of their sockets ask for big `chat:sync` pages at the allowed rate
 * and never read the replies. One Pairly node runs as a child process; its
 * RSS is read from /proc/<pid>/status while the readers run. A cut-off
 * reader reconnects at once, as a hostile client would. Results:
 * BENCHMARKS.md, "Slow readers".
 */

const USAGE = `usage: npm run bench -- slow-reader [flags]
  --mode cluster|embedded  cluster: local PostgreSQL + Redis, own database and prefix (default);
                           embedded: PGlite in a temp dir (inside the node process, so in its RSS)
  --sockets N              never-reading sockets of the one user (default 6)
  --reading                the sockets are socket.io-client sockets that do read their replies (the control)
  --duration S             seconds the readers run (default 25)
  --rate R                 chat:sync {limit:500} per second per socket (default 20, the default per-socket limit)
  --messages M             messages the user has (default 500)
  --body N                 characters per message (default 3500)
  --stop-at-mb MB          the bench kills the node if its RSS passes this (default 3000: the machine is shared)
  --server-root DIR        run server/src/main.ts of another checkout (a before/after comparison)
  --no-wait                do not wait for a load average below 1.2 before starting`;

/**
 * Only what set-up needs (the senders sign up from 127.0.0.1; the chat send limits would make creating
 * 500 messages take minutes); the limits under test (per socket, per user, outbound bytes) are the defaults.
 */
const SETUP_ENV = {
  ...BENCH_SERVER_ENV,
  CHAT_MESSAGES_PER_10S: '1000000',
  CHAT_FLOOD_PER_5S: '1000000',
  LOG_LEVEL: 'warn',
};


function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const rssMb = (pid: number) => (procStatusKb(pid, 'VmRSS') ?? 0) / 1024;

export async function benchSlowReader(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, {
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      mode: { type: 'string', default: 'cluster' },
      sockets: { type: 'string', default: '6' },
      duration: { type: 'string', default: '25' },
      rate: { type: 'string', default: '20' },
      messages: { type: 'string', default: '500' },
      body: { type: 'string', default: '3500' },
      'stop-at-mb': { type: 'string', default: '3000' },
      'server-root': { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      reading: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const mode = choiceFlag('mode', values.mode, ['cluster', 'embedded'], USAGE);
  const sockets = numberFlag('sockets', values.sockets, 1, 100, USAGE);
  const durationS = numberFlag('duration', values.duration, 1, 300, USAGE, false);
  const rate = numberFlag('rate', values.rate, 0.1, 1000, USAGE, false);
  const messages = numberFlag('messages', values.messages, 1, 100_000, USAGE);
  const body = numberFlag('body', values.body, 1, 4000, USAGE);
  const stopAtMb = numberFlag('stop-at-mb', values['stop-at-mb'], 100, 20_000, USAGE);
  const serverRoot = resolve(values['server-root'] ?? ROOT);

  const printer = new ProgressPrinter();
  const cleanups = new Cleanups((m) => printer.log(m));
  cleanups.onSigint();

  try {
    if (!values['no-wait']) await waitForLowLoad((m) => printer.log(m), 1.2, 120);
    const load1 = loadavg()[0]!;
    const data = await benchData(mode, cleanups, 'pairly-slow-reader');
    const env = { ...data.env, ...SETUP_ENV };
    const node = await startNodeProcess(env, { entry: resolve(serverRoot, 'server/src/main.ts') });
    cleanups.add(() => node.kill('SIGKILL'));
    const pid = node.child.pid!;
    printer.log(
      `slow-reader: one ${mode} node (pid ${pid}, ${serverRoot}), ${sockets} ${values.reading ? 'reading' : 'never-reading'} sockets × ${rate} chat:sync/s for ${durationS}s; ` +
        `node ${process.version}, ${cpus().length} cores`,
    );

    // Set-up: one user with `messages` messages spread over conversations with a few senders.
    const victim = await newUser(node.url, { displayName: 'Slow reader' });
    const perSender = 50;
    const senders = Math.ceil(messages / perSender);
    const text = 'x'.repeat(body);
    const t0 = performance.now();
    await pool(senders, 8, async (i) => {
      const s = await newUser(node.url, { displayName: `Sender ${i}` });
      const socket = await connect(node.url, s.accessToken);
      try {
        const n = Math.min(perSender, messages - i * perSender);
        let conversationId: string | undefined;
        for (let k = 0; k < n; k++) {
          const target = conversationId ? { conversationId } : { toUserId: victim.user.id };
          const r = await ack(socket, 'chat:send', { ...target, clientId: randomUUID(), body: text });
          if (!r.ok && r.error.code === 'RATE_LIMITED') {
            await sleep((r.error.retryAfterSeconds ?? 1) * 1000);
            k--;
            continue;
          }
          if (!r.ok) throw new Error(`chat:send failed: ${JSON.stringify(r.error)}`);
          conversationId = r.message.conversationId;
        }
      } finally {
        socket.close();
      }
    });
    printer.log(`set-up: ${messages} messages of ${body} characters from ${senders} senders in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // What one chat:sync {limit:500} answers, read by a normal client.
    const reading = await connect(node.url, victim.accessToken);
    const page = await ack(reading, 'chat:sync', { limit: 500 });
    reading.close();
    const pageBytes = Buffer.byteLength(JSON.stringify(page));
    printer.log(`one chat:sync {limit:500}: ${page.messages?.length ?? 0} messages, ${(pageBytes / 1024).toFixed(0)} KB, hasMore ${page.hasMore}`);

    await sleep(2000);
    const rssBefore = rssMb(pid);
    const r = await runReaders({ node, token: victim.accessToken, sockets, durationS, rate, stopAtMb, printer, reading: values.reading });
    const rssEnd = r.exitedAt === undefined ? rssMb(pid) : undefined;
    const hwm = (procStatusKb(pid, 'VmHWM') ?? 0) / 1024;
    await sleep(3000);
    const rssAfter = r.exitedAt === undefined ? rssMb(pid) : undefined;

    const warnings = logCounts(node.output());
    const fate =
      r.killedAtMb !== undefined
        ? `killed by the bench at ${r.killedAtMb.toFixed(0)} MB after ${r.exitedAt!.toFixed(1)} s`
        : r.exitedAt !== undefined
          ? `died after ${r.exitedAt.toFixed(1)} s (${r.exitReason})`
          : 'alive';
    const mb = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(0));
    const rows: [string, string][] = [
      ['node', `${mode}${values['server-root'] ? ` (${serverRoot})` : ''}`],
      ['one chat:sync {limit:500} reply', `${page.messages?.length ?? 0} messages, ${(pageBytes / 1024).toFixed(0)} KB, hasMore ${page.hasMore}`],
      ['load average (1 min) at the start', load1.toFixed(1)],
      [`${values.reading ? 'reading' : 'never-reading'} sockets × rate × seconds`, `${sockets} × ${rate}/s × ${durationS} s`],
      ['chat:sync sent', String(r.sent)],
      ...(values.reading ? [['chat:sync answered ok / refused', `${r.answered} / ${[...r.ackErrors].map(([c, n]) => `${c} ×${n}`).join(', ') || '0'}`] as [string, string]] : []),
      ['connections opened (incl. reconnects)', String(r.opened)],
      ['disconnects seen by the readers', String(r.disconnects)],
      ['connects refused', r.refused.size ? [...r.refused].map(([c, n]) => `${c} ×${n}`).join(', ') : '0'],
      ['node RSS MB before', mb(rssBefore)],
      ['node RSS MB peak (sampled every 200 ms)', mb(r.peakMb)],
      ['node RSS MB high-water mark (VmHWM, whole run)', mb(hwm)],
      ['node RSS MB at the end / 3 s later', `${mb(rssEnd)} / ${mb(rssAfter)}`],
      ['node', fate],
      ...warnings.map(([msg, n]): [string, string] => [`node warn/error log: "${msg}"`, String(n)]),
    ];
    console.log(['', '| slow-reader | |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n'));
    if (r.exitedAt !== undefined && r.killedAtMb === undefined) console.log(`\nlast node output:\n${node.output().slice(-1500)}`);
    await cleanups.run();
    return 0;
  } catch (err) {
    printer.log(`slow-reader failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanups.run();
    return 1;
  }
}

const ack = (s: ClientSocket, event: string, payload: unknown) =>
  (s as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<any> } }).timeout(30_000).emitWithAck(event, payload);

interface ReadersResult {
  sent: number;
  /** Reading sockets only: positive acks, and refusals by code. */
  answered: number;
  ackErrors: Map<string, number>;
  opened: number;
  disconnects: number;
  refused: Map<string, number>;
  peakMb: number;
  /** Seconds into the run when the node exited (or was killed). */
  exitedAt?: number;
  exitReason?: string;
  killedAtMb?: number;
}

/** Keeps `sockets` slow readers open (reconnecting each one that is cut off) and samples the node's RSS. */
async function runReaders(o: {
  node: NodeProcess;
  token: string;
  sockets: number;
  durationS: number;
  rate: number;
  stopAtMb: number;
  printer: ProgressPrinter;
  reading: boolean;
}): Promise<ReadersResult> {
  const pid = o.node.child.pid!;
  const res: ReadersResult = { sent: 0, answered: 0, ackErrors: new Map(), opened: 0, disconnects: 0, refused: new Map(), peakMb: rssMb(pid) };
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  let running = true;
  o.node.child.once('exit', (code, signal) => {
    if (res.exitedAt === undefined) res.exitedAt = elapsed();
    res.exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
    running = false;
  });

  /** A socket that reads: paced requests, each ack awaited and counted. */
  const readingLoop = async () => {
    while (running) {
      let socket: ClientSocket;
      try {
        socket = await connect(o.node.url, o.token);
      } catch (err) {
        const code = (err as { data?: { code?: string } }).data?.code ?? 'CONNECT_FAILED';
        res.refused.set(code, (res.refused.get(code) ?? 0) + 1);
        await sleep(1000);
        continue;
      }
      res.opened++;
      while (running && socket.connected) {
        const due = sleep(1000 / o.rate);
        res.sent++;
        const r = await ack(socket, 'chat:sync', { limit: 500 }).catch(() => ({ ok: false, error: { code: 'TIMEOUT' } }));
        if (r.ok) res.answered++;
        else res.ackErrors.set(r.error.code, (res.ackErrors.get(r.error.code) ?? 0) + 1);
        await due;
      }
      if (running) res.disconnects++;
      socket.close();
    }
  };

  const loop = async () => {
    while (running) {
      let reader: SlowReader;
      try {
        const h = await openSlowReader(o.node.url, o.token);
        if (!h.ok) {
          res.refused.set(h.code, (res.refused.get(h.code) ?? 0) + 1);
          await sleep(1000);
          continue;
        }
        reader = h.reader;
      } catch {
        if (running) await sleep(200);
        continue;
      }
      res.opened++;
      const timer = setInterval(() => {
        reader.emit('chat:sync', { limit: 500 });
        res.sent++;
      }, 1000 / o.rate);
      const stop = new Promise<string>((r) => {
        const check = setInterval(() => {
          if (!running) {
            clearInterval(check);
            r('stopped');
          }
        }, 100);
        void reader.closed.then(() => clearInterval(check));
      });
      const why = await Promise.race([reader.closed, stop]);
      clearInterval(timer);
      reader.close();
      if (why !== 'stopped' && running) res.disconnects++;
    }
  };

  const sampler = setInterval(() => {
    const now = rssMb(pid);
    res.peakMb = Math.max(res.peakMb, now);
    if (now > o.stopAtMb && res.killedAtMb === undefined && res.exitedAt === undefined) {
      res.killedAtMb = now;
      res.exitedAt = elapsed();
      o.node.child.kill('SIGKILL');
    }
  }, 200);
  const progress = setInterval(() => {
    o.printer.status(
      `[slow-reader] ${elapsed().toFixed(1)}s  rss ${rssMb(pid).toFixed(0)} MB  peak ${res.peakMb.toFixed(0)} MB  ` +
        `syncs sent ${res.sent}  connections ${res.opened}  disconnects ${res.disconnects}`,
    );
  }, 1000);
  const loops = Array.from({ length: o.sockets }, o.reading ? readingLoop : loop);
  await Promise.race([sleep(o.durationS * 1000), new Promise<void>((r) => o.node.child.once('exit', () => r()))]);
  running = false;
  await Promise.all(loops);
  clearInterval(sampler);
  clearInterval(progress);
  o.printer.end();
  return res;
}

/** Counts the node's warn and error log lines by message (pino JSON lines). */
function logCounts(output: string): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const l = JSON.parse(line) as { level?: number; msg?: string };
      if ((l.level ?? 0) >= 40 && l.msg) counts.set(l.msg, (counts.get(l.msg) ?? 0) + 1);
    } catch {
      /* not a log line */
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}
