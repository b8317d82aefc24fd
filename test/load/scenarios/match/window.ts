import { setTimeout as sleep } from 'node:timers/promises';
import { CpuWatch, load1, type CpuWindow } from '../../lib/machine.js';
import { fmtMs } from '../../lib/summary.js';
import { machineBusyPct, machineCpu, scrapeProbe, type ProcessSample } from '../../lib/probe.js';
import type { ProgressPrinter } from '../../lib/progress.js';
import type { CrowdResult, MatchCrowd } from './crowd.js';

export interface ServerCpu {
  cpuPct: number | undefined;
  rssMb: number[];
}

/** Node CPU over a window from their /metrics (prom-client process metrics). */
function serverCpu(a: Array<ProcessSample | undefined>, b: Array<ProcessSample | undefined>): ServerCpu {
  let pctSum = 0;
  let known = true;
  const rssMb: number[] = [];
  a.forEach((x, i) => {
    const y = b[i];
    if (!x || !y || y.atMs <= x.atMs) known = false;
    else pctSum += ((y.cpuUs - x.cpuUs) / 1000 / (y.atMs - x.atMs)) * 100;
    if (y) rssMb.push(y.rssBytes / 1024 / 1024);
  });
  return { cpuPct: known ? pctSum : undefined, rssMb };
}

/** Runs the crowd for warm-up + window with a live line; returns the window's figures. */
export async function runWindow(o: {
  label: string;
  crowd: MatchCrowd;
  urls: string[];
  warmupS: number;
  durationS: number;
  printer: ProgressPrinter;
  watch?: CpuWatch;
}): Promise<{ result: CrowdResult; server: ServerCpu; cpu: Partial<CpuWindow> & { selfPct: number; machinePct: number | undefined }; load1: number }> {
  const { crowd, printer } = o;
  let phase = o.warmupS > 0 ? 'warmup' : 'measure';
  let phaseStart = performance.now();
  let last = phaseStart;
  const ticker = setInterval(() => {
    const now = performance.now();
    const s = crowd.snapshot();
    printer.status(
      `[${o.label}${phase === 'warmup' ? ' warmup' : ''}] ${((now - phaseStart) / 1000).toFixed(1)}s  ` +
        `pairs ${Math.round((s.found / 2) * (1000 / (now - last)))}/s  waiting ${s.waiting}  in session ${s.inSession}  ` +
        `time-to-pair p99 ${fmtMs(s.ttpP99)} ms  errors ${s.errors}  double pairings ${s.doublePairings}`,
    );
    last = now;
  }, 1000);
  try {
    crowd.start();
    if (o.warmupS > 0) await sleep(o.warmupS * 1000);
    const [srv0, cpu0, self0, m0] = await Promise.all([
      Promise.all(o.urls.map((u) => scrapeProbe(u))),
      o.watch?.snapshot(),
      Promise.resolve(process.cpuUsage()),
      Promise.resolve(machineCpu()),
    ]);
    const t0 = performance.now();
    const startLoad = load1();
    phase = 'measure';
    phaseStart = performance.now();
    crowd.beginWindow();
    await sleep(o.durationS * 1000);
    const result = crowd.endWindow();
    const [srv1, cpu1] = await Promise.all([Promise.all(o.urls.map((u) => scrapeProbe(u))), o.watch?.snapshot()]);
    const selfUs = process.cpuUsage(self0);
    const ms = performance.now() - t0;
    const machinePct = machineBusyPct(m0, machineCpu());
    const w = cpu0 && cpu1 ? CpuWatch.window(cpu0, cpu1) : undefined;
    return {
      result,
      server: serverCpu(srv0, srv1),
      cpu: { ...w, selfPct: w?.selfPct ?? ((selfUs.user + selfUs.system) / 1000 / ms) * 100, machinePct: w?.machinePct ?? machinePct },
      load1: startLoad,
    };
  } finally {
    clearInterval(ticker);
    printer.end();
  }
}
