import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { machineBusyPct, machineCpu, procStat, scrapeProbe } from '../../../lib/probe.js';
import type { ProgressPrinter } from '../../../lib/progress.js';
import { LatencyRecorder, type LatencySummary } from '../../../lib/recorder.js';
import type { CallDriver } from './drivers.js';
import { MediaPeerError, wallNow, type MediaPeersProcess, type PeersStats } from './peers-client.js';
import type { ReceivedStats } from './protocol.js';

/**
 * One measured run of N concurrent calls with media (Pairly's signaling or
 * the bare baseline, see drivers.ts):
 *
 *   slot i (0 ≤ i < N), started i·ramp/N s in:
 *     set up a call ─► both peers join ─► first decoded frame at the callee (and at the caller)
 *       ─► media flows until `hold` s after the set-up began (or the end of the run)
 *       ─► peers leave (their frame counts) ─► hang-up ─► next call
 *   [0, warmup)                  calls start; not in the CPU window
 *   [warmup, warmup + duration)  CPU of Janus, the media peers and the Pairly nodes; mean concurrent calls with media
 *
 * Every call started in the run counts in the set-up and first-frame
 * percentiles; with --hold shorter than the run most of them are set up while
 * the other N-1 calls carry media.
 */

export interface StepSettings {
  calls: number;
  warmupS: number;
  durationS: number;
  /** Seconds a call lasts from its set-up; 0 = until the end of the run. */
  holdS: number;
  rampS: number;
  timeoutMs: number;
  oneWay: boolean;
}

/** CPU time of something, read at two instants. */
export interface CpuSource {
  name: string;
  sample(): Promise<{ cpuUs: number; atMs: number } | undefined>;
}

/** Processes by pid (Janus inside the namespace shares the pid namespace: /proc shows it). */
export function pidCpu(name: string, pids: () => number[]): CpuSource {
  return {
    name,
    async sample() {
      const list = pids();
      const values = list.map((pid) => procStat(pid)?.cpuUs);
      if (list.length === 0 || values.some((v) => v === undefined)) return undefined;
      return { cpuUs: values.reduce((a, b) => a! + b!, 0)!, atMs: performance.now() };
    },
  };
}

/** Janus processes inside a namespace, found by name (re-read at each sample: a restarted Janus is picked up). */
export function janusPids(netns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'janus';
      } catch {
        return false;
      }
    });
}

/** Pairly nodes through their /metrics (process_cpu_seconds_total), for nodes this process did not start. */
export function metricsCpu(name: string, urls: string[]): CpuSource {
  return {
    name,
    async sample() {
      const atMs = performance.now();
      const s = await Promise.all(urls.map((u) => scrapeProbe(u)));
      if (s.some((x) => !x)) return undefined;
      return { cpuUs: s.reduce((a, x) => a + x!.cpuUs, 0), atMs };
    },
  };
}

const cpuPct = (a: { cpuUs: number; atMs: number } | undefined, b: { cpuUs: number; atMs: number } | undefined) =>
  a && b && b.atMs > a.atMs ? (b.cpuUs - a.cpuUs) / 10 / (b.atMs - a.atMs) : undefined;

export interface StreamSummary {
  /** Received video streams with at least 2 s of media (one per direction per call). */
  n: number;
  fpsP50: number;
  fpsMin: number;
  /** Longest freeze between two decoded frames, p95 over the streams, ms. */
  maxGapP95: number;
  kbpsP50: number | undefined;
  resolution: string | undefined;
  packetsLost: number;
}

export interface StepResult {
  target: string;
  calls: number;
  durationS: number;
  /** Calls that reached media in both directions (one with --one-way) and were hung up. */
  completed: number;
  failed: number;
  errorCodes: Record<string, number>;
  setup: LatencySummary;
  /** call:invite sent (bare: room create sent) → first decoded frame at the callee. */
  firstFrame: LatencySummary;
  /** call:accept sent (bare: joins sent) → first decoded frame at the callee. */
  acceptToFrame: LatencySummary;
  /** Same start → first decoded frame at the caller (the callee's video); empty with --one-way. */
  callerFirstFrame: LatencySummary;
  streams: StreamSummary;
  /** Mean number of calls with media flowing over the CPU window. */
  mediaCallsAvg: number;
  /** % of one core over the window, by source name. */
  cpu: Record<string, number | undefined>;
  /** Whole machine busy, % of all cores. */
  machinePct: number | undefined;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

export async function runStep(
  driver: CallDriver,
  peers: MediaPeersProcess,
  s: StepSettings,
  cpuSources: CpuSource[],
  printer: ProgressPrinter,
  label: string,
): Promise<StepResult> {
  const setup = new LatencyRecorder(1024);
  const firstFrame = new LatencyRecorder(1024);
  const acceptToFrame = new LatencyRecorder(1024);
  const callerFirstFrame = new LatencyRecorder(1024);
  const streams: Array<{ fps: number; maxGapMs: number; kbps?: number; res?: string; lost: number }> = [];
  const errorCodes: Record<string, number> = {};
  let completed = 0;
  let failed = 0;

  const startAt = wallNow();
  const windowStart = startAt + s.warmupS * 1000;
  const endAt = windowStart + s.durationS * 1000;

  // Calls with media flowing, integrated over the window.
  let flowing = 0;
  let flowingArea = 0;
  let flowingLast = windowStart;
  const setFlowing = (delta: number) => {
    const t = Math.min(Math.max(wallNow(), windowStart), endAt);
    flowingArea += flowing * (t - flowingLast);
    flowingLast = t;
    flowing += delta;
  };

  const streamOf = (leftAt: number, r: ReceivedStats) => {
    if (r.firstFrameAtMs === undefined) return;
    const spanS = (leftAt - r.firstFrameAtMs) / 1000;
    if (spanS < 2) return;
    streams.push({
      fps: r.frames / spanS,
      maxGapMs: r.maxGapMs,
      ...(r.videoBytes !== undefined ? { kbps: (r.videoBytes * 8) / 1000 / spanS } : {}),
      ...(r.width ? { res: `${r.width}x${r.height}` } : {}),
      lost: r.packetsLost ?? 0,
    });
  };

  const slot = async (i: number) => {
    await sleep(Math.round((i * s.rampS * 1000) / s.calls));
    for (let seq = 0; wallNow() < endAt - 1000; seq++) {
      let started: Awaited<ReturnType<CallDriver['start']>> | undefined;
      let isFlowing = false;
      try {
        started = await driver.start(i, seq, peers, { oneWay: s.oneWay });
        setup.record(started.setupMs);
        const { t0, acceptAt, calleeKey, callerKey } = started;
        const [callee, caller] = await Promise.all([
          peers.firstFrame(calleeKey, s.timeoutMs),
          s.oneWay ? undefined : peers.firstFrame(callerKey, s.timeoutMs),
        ]);
        firstFrame.record(callee.atMs - t0);
        acceptToFrame.record(callee.atMs - acceptAt);
        if (caller) callerFirstFrame.record(caller.atMs - t0);
        setFlowing(+1);
        isFlowing = true;
        const until = s.holdS > 0 ? Math.min(t0 + s.holdS * 1000, endAt) : endAt;
        await sleep(Math.max(0, until - wallNow()));
        setFlowing(-1);
        isFlowing = false;
        const [a, b] = await Promise.all([peers.leave(calleeKey), peers.leave(callerKey)]);
        streamOf(a.atMs, a.received);
        if (!s.oneWay) streamOf(b.atMs, b.received);
        await started.end();
        completed++;
      } catch (err) {
        if (isFlowing) setFlowing(-1);
        failed++;
        const code = err instanceof MediaPeerError || (err as { code?: unknown }).code ? String((err as { code: unknown }).code) : 'ERROR';
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        if (failed <= 5) printer.log(`[${label}] call ${i}.${seq} failed: ${(err as Error).message}`);
        if (started) {
          await Promise.all([peers.leave(started.calleeKey).catch(() => undefined), peers.leave(started.callerKey).catch(() => undefined)]);
          await started.end().catch(() => undefined);
        }
        await sleep(1000);
      }
    }
  };

  // Progress once a second, and the CPU window's two samples.
  const sampleAll = () => Promise.all(cpuSources.map((c) => c.sample()));
  let prev = { cpu: await sampleAll(), peers: await peers.stats().catch(() => undefined), at: performance.now() };
  let windowSamples: { cpu: Awaited<ReturnType<typeof sampleAll>>; peers?: PeersStats; machine: ReturnType<typeof machineCpu> } | undefined;
  let endSamples: typeof windowSamples;
  let ticking = true;
  const ticker = (async () => {
    while (ticking) {
      await sleep(1000);
      const now = wallNow();
      const [cpu, st] = await Promise.all([sampleAll(), peers.stats().catch(() => undefined)]);
      const pcts = cpuSources.map((c, k) => `${c.name} ${cpuPct(prev.cpu[k], cpu[k])?.toFixed(0) ?? '?'}%`).join(' ');
      const fps = st && prev.peers && st.receiving > 0 ? (st.framesTotal - prev.peers.framesTotal) / ((st.atMs - prev.peers.atMs) / 1000) / st.receiving : 0;
      const phase = now < windowStart ? ' warmup' : now >= endAt ? ' ending' : '';
      printer.status(
        `[${label}${phase}] ${((now - startAt) / 1000).toFixed(0)}s  media ${flowing}/${s.calls}  done ${completed}  failed ${failed}` +
          `  set-up p99 ${setup.percentile(99).toFixed(0)} ms  first frame p50 ${firstFrame.percentile(50).toFixed(0)} ms` +
          `  ${fps.toFixed(1)} fps/stream  CPU ${pcts}`,
      );
      prev = { cpu, peers: st, at: performance.now() };
    }
  })();
  const endSampler = (async () => {
    await sleep(Math.max(0, windowStart - wallNow()));
    const [cpu0, st0] = await Promise.all([sampleAll(), peers.stats().catch(() => undefined)]);
    windowSamples = { cpu: cpu0, ...(st0 ? { peers: st0 } : {}), machine: machineCpu() };
    await sleep(Math.max(0, endAt - wallNow()));
    setFlowing(0);
    const [cpu, st] = await Promise.all([sampleAll(), peers.stats().catch(() => undefined)]);
    endSamples = { cpu, ...(st ? { peers: st } : {}), machine: machineCpu() };
  })();

  await Promise.all(Array.from({ length: s.calls }, (_, i) => slot(i)));
  await endSampler;
  ticking = false;
  await ticker;
  printer.end();

  const cpu: Record<string, number | undefined> = {};
  cpuSources.forEach((c, k) => (cpu[c.name] = cpuPct(windowSamples?.cpu[k], endSamples?.cpu[k])));
  const fpsSorted = streams.map((x) => x.fps).sort((a, b) => a - b);
  const gaps = streams.map((x) => x.maxGapMs).sort((a, b) => a - b);
  const kbps = streams.flatMap((x) => (x.kbps !== undefined ? [x.kbps] : [])).sort((a, b) => a - b);
  const resCount = new Map<string, number>();
  for (const x of streams) if (x.res) resCount.set(x.res, (resCount.get(x.res) ?? 0) + 1);
  const resolution = [...resCount.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return {
    target: driver.name,
    calls: s.calls,
    durationS: s.durationS,
    completed,
    failed,
    errorCodes,
    setup: setup.summary(),
    firstFrame: firstFrame.summary(),
    acceptToFrame: acceptToFrame.summary(),
    callerFirstFrame: callerFirstFrame.summary(),
    streams: {
      n: streams.length,
      fpsP50: percentile(fpsSorted, 50),
      fpsMin: fpsSorted[0] ?? 0,
      maxGapP95: percentile(gaps, 95),
      kbpsP50: kbps.length ? percentile(kbps, 50) : undefined,
      resolution,
      packetsLost: streams.reduce((a, x) => a + x.lost, 0),
    },
    mediaCallsAvg: flowingArea / (s.durationS * 1000),
    cpu,
    machinePct: machineBusyPct(windowSamples?.machine, endSamples?.machine),
  };
}
