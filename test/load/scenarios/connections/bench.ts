import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { choiceFlag, envFlag, numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { metricValue } from '../../lib/probe.js';
import { ProgressPrinter } from '../../lib/progress.js';
import type { NodeSample } from '../chat/probe.js';
import { Holders } from './holders.js';
import type { HolderCounts } from './protocol.js';
import { startBare, startPairly, type ConnTarget } from './targets.js';

/**
 * `npm run bench -- connections [flags]`: what an idle authenticated socket
 * costs a node, and how fast a node takes every socket back after dropping
 * them all. Per target (the bare socket.io relay, then one cluster-mode
 * Pairly node, each alone on the machine): memory with no socket, N sockets
 * opened from several client processes, memory after an idle wait, then a
 * server-side drop of every socket and the reconnect storm that follows.
 * Results: BENCHMARKS.md, "Connections and memory".
 */

const USAGE = `usage: npm run bench -- connections [flags]
  --sockets N           sockets per target (default 15000)
  --procs N             client processes holding them (default 4)
  --concurrency N       connects in flight per client process while filling (default 50)
  --idle S              idle wait before the memory is sampled (default 15)
  --baseline bare|none  also measure the bare socket.io relay first (default bare)
  --storm drop|none     after the idle sample, drop every socket server-side and time the reconnects (default drop)
  --storm-timeout S     give up waiting for the sockets to come back after S seconds (default 120)
  --env KEY=VALUE       extra setting for the Pairly node (repeatable)`;

interface Row {
  target: string;
  sockets: number;
  fillMs: number;
  zero: NodeSample;
  full: NodeSample;
  storm?: { backMs: number; dropped: number; connects: number; connectsPerS: number; errors: Record<string, number>; complete: boolean };
  afterStorm?: NodeSample;
}

export async function benchConnections(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, {
    args: argv,
    options: {
      sockets: { type: 'string', default: '15000' },
      procs: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '50' },
      idle: { type: 'string', default: '15' },
      baseline: { type: 'string', default: 'bare' },
      storm: { type: 'string', default: 'drop' },
      'storm-timeout': { type: 'string', default: '120' },
      env: { type: 'string', multiple: true },
    },
    allowPositionals: false,
    strict: true,
  });
  const sockets = numberFlag('sockets', values.sockets, 1, 60_000, USAGE);
  const procs = numberFlag('procs', values.procs, 1, 16, USAGE);
  const concurrency = numberFlag('concurrency', values.concurrency, 1, 1000, USAGE);
  const idleS = numberFlag('idle', values.idle, 0, 600, USAGE, false);
  const baseline = choiceFlag('baseline', values.baseline, ['bare', 'none'], USAGE);
  const storm = choiceFlag('storm', values.storm, ['drop', 'none'], USAGE);
  const stormTimeoutS = numberFlag('storm-timeout', values['storm-timeout'], 1, 3600, USAGE);
  const extraEnv = envFlag(values.env, USAGE);

  const printer = new ProgressPrinter();
  const cleanups = new Cleanups((m) => printer.log(m), 30_000);
  let interrupted = false;
  cleanups.onSigint(undefined, () => (interrupted = true));

  const header = [
    `bench connections: ${sockets} idle sockets per target from ${procs} client processes (${concurrency} connects in flight each), ` +
      `${idleS}s idle, storm ${storm}`,
    `node ${process.version}, ${cpus().length} cores, commit ${git(['rev-parse', '--short', 'HEAD'])}` +
      `${git(['status', '--porcelain', '--', 'server', 'shared']) ? ' + uncommitted changes in server/ or shared/' : ''}, ` +
      `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ];
  for (const h of header) printer.log(h);

  const rows: Row[] = [];
  try {
    const holders = new Holders(procs);
    cleanups.add(() => holders.stop());
    const starts: Array<() => Promise<ConnTarget>> = [];
    if (baseline === 'bare') starts.push(() => startBare(cleanups));
    starts.push(() => startPairly(cleanups, extraEnv, (m) => printer.log(m)));
    for (const start of starts) {
      if (interrupted) break;
      const t = await start();
      cleanups.add(() => t.stop());
      rows.push(await measure(t, holders, { sockets, concurrency, idleS, storm, stormTimeoutS, printer, stopped: () => interrupted }));
      await holders.close();
      await t.stop();
    }
  } catch (err) {
    printer.end();
    if (!interrupted) printer.log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanups.run();
    return interrupted ? 130 : 1;
  }
  if (interrupted) {
    await cleanups.run();
    return 130;
  }
  console.log(['', ...header, '', ...table(rows), '', `load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`].join('\n'));
  await cleanups.run();
  return rows.some((r) => r.storm && (!r.storm.complete || Object.keys(r.storm.errors).length)) ? 1 : 0;
}

async function measure(
  t: ConnTarget,
  holders: Holders,
  o: { sockets: number; concurrency: number; idleS: number; storm: 'drop' | 'none'; stormTimeoutS: number; printer: ProgressPrinter; stopped(): boolean },
): Promise<Row> {
  const { printer } = o;
  const status = (phase: string, c: HolderCounts, t0: number, extra = '') => {
    const s = (performance.now() - t0) / 1000;
    printer.status(
      `[${t.name} ${phase}] ${s.toFixed(1)}s  connected ${c.connected}/${o.sockets}  ${Math.round(c.connects / Math.max(s, 0.001))} connects/s` +
        `  errors ${sumErrors(c.errors)}${extra}  rss ${mb(t.sampler.peakRssBytes)} MB peak`,
    );
  };
  await sleep(3000);
  const zero = await settled(t);
  printer.log(`[${t.name}] no socket: RSS ${mb(zero.rssBytes)} MB, heap ${mb(zero.heapBytes)} MB; opening ${o.sockets} sockets`);

  const t0 = performance.now();
  const live = setInterval(() => status('fill', holders.total(), t0), 1000);
  try {
    await holders.open(t.url, o.sockets, o.concurrency, t.auth);
  } finally {
    clearInterval(live);
  }
  const fillMs = performance.now() - t0;
  printer.log(`[${t.name}] ${o.sockets} sockets open in ${(fillMs / 1000).toFixed(1)} s; idle ${o.idleS} s`);
  await sleep(o.idleS * 1000);
  await sleep(600); // a progress report from every process since the wait began
  const lost = o.sockets - holders.total().connected;
  if (lost > 0) throw new Error(`[${t.name}] ${lost} of ${o.sockets} sockets closed while idle`);
  const full = await settled(t);
  printer.log(
    `[${t.name}] ${o.sockets} idle sockets: RSS ${mb(full.rssBytes)} MB (${kbPer(full.rssBytes - zero.rssBytes, o.sockets)} KB/socket), ` +
      `heap ${mb(full.heapBytes)} MB (${kbPer((full.heapBytes ?? 0) - (zero.heapBytes ?? 0), o.sockets)} KB/socket)`,
  );
  if (t.auth.kind === 'jwt') printer.log(`[${t.name}] ${await idleCollections(t.url)}`);
  const row: Row = { target: t.name, sockets: o.sockets, fillMs, zero, full };
  if (o.storm === 'none' || o.stopped()) return row;

  holders.arm();
  await sleep(500); // every process has its arm before the first drop reaches it
  const s0 = performance.now();
  const dropAt = Date.now();
  await t.dropAll();
  const deadline = s0 + o.stormTimeoutS * 1000;
  let c = holders.total();
  for (;;) {
    holders.check();
    c = holders.total();
    if (c.drops >= o.sockets && c.connected >= o.sockets) break;
    if (performance.now() > deadline || o.stopped()) break;
    status('storm', c, s0, `  dropped ${c.drops}`);
    await sleep(200);
  }
  printer.end();
  const complete = c.drops >= o.sockets && c.connected >= o.sockets;
  const backMs = (c.lastConnectAt || Date.now()) - dropAt;
  const spanS = Math.max(0.001, ((c.lastConnectAt || Date.now()) - (c.firstDropAt || dropAt)) / 1000);
  row.storm = { backMs, dropped: c.drops, connects: c.connects, connectsPerS: c.connects / spanS, errors: c.errors, complete };
  printer.log(
    `[${t.name}] storm: ${c.drops} dropped, ${c.connected}/${o.sockets} back ${complete ? `in ${(backMs / 1000).toFixed(2)} s` : `(gave up after ${o.stormTimeoutS} s)`}, ` +
      `${Math.round(row.storm.connectsPerS)} connects/s, errors ${JSON.stringify(c.errors)}`,
  );
  await sleep(3000);
  row.afterStorm = await settled(t);
  return row;
}

/** The median of three samples a second apart: one GC between two samples should not make the figure. */
async function settled(t: ConnTarget): Promise<NodeSample> {
  const samples: NodeSample[] = [];
  for (let i = 0; i < 3; i++) {
    if (i) await sleep(1000);
    samples.push(await t.sampler.sample());
  }
  const mid = <K extends 'rssBytes' | 'heapBytes'>(k: K) => samples.map((s) => s[k] ?? 0).sort((a, b) => a - b)[1]!;
  return { ...samples[2]!, rssBytes: mid('rssBytes'), heapBytes: mid('heapBytes') };
}

function table(rows: Row[]): string[] {
  const head = ['target', 'sockets', 'open s', 'opens/s', 'RSS 0', 'RSS N', 'RSS/socket', 'heap 0', 'heap N', 'heap/socket', 'storm back', 'storm conn/s', 'storm errors', 'RSS after storm'];
  const body = rows.map((r) => [
    r.target,
    String(r.sockets),
    (r.fillMs / 1000).toFixed(1),
    String(Math.round(r.sockets / (r.fillMs / 1000))),
    `${mb(r.zero.rssBytes)} MB`,
    `${mb(r.full.rssBytes)} MB`,
    `${kbPer(r.full.rssBytes - r.zero.rssBytes, r.sockets)} KB`,
    `${mb(r.zero.heapBytes)} MB`,
    `${mb(r.full.heapBytes)} MB`,
    `${kbPer((r.full.heapBytes ?? 0) - (r.zero.heapBytes ?? 0), r.sockets)} KB`,
    r.storm ? (r.storm.complete ? `${(r.storm.backMs / 1000).toFixed(2)} s` : `incomplete (${r.storm.dropped} dropped)`) : '-',
    r.storm ? String(Math.round(r.storm.connectsPerS)) : '-',
    r.storm ? String(sumErrors(r.storm.errors)) + (sumErrors(r.storm.errors) ? ` ${JSON.stringify(r.storm.errors)}` : '') : '-',
    r.afterStorm ? `${mb(r.afterStorm.rssBytes)} MB` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
}

const mb = (b: number | undefined) => (b === undefined ? '?' : (b / 1024 / 1024).toFixed(1));
const kbPer = (bytes: number, n: number) => (bytes / 1024 / n).toFixed(1);
const sumErrors = (e: Record<string, number>) => Object.values(e).reduce((a, b) => a + b, 0);

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

/** What the node's idle collector did so far (its full collections after the fill, and their pauses), from /metrics. */
async function idleCollections(url: string): Promise<string> {
  const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text(), () => '');
  const count = metricValue(text, 'pairly_idle_collection_seconds_count');
  const sum = metricValue(text, 'pairly_idle_collection_seconds_sum') ?? 0;
  if (count === undefined) return 'idle collections: not on /metrics';
  return `idle collections: ${count}${count > 0 ? `, pausing the node ${Math.round((sum * 1000) / count)} ms each on average` : ''}`;
}
