import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { listFlag, numberFlag, usageError } from '../../../lib/args.js';
import { waitForQuiet } from '../../../lib/probe.js';
import type { ProgressPrinter } from '../../../lib/progress.js';
import type { CallDriver } from './drivers.js';
import type { MediaPeersProcess } from './peers-client.js';
import type { PeerSettings } from './protocol.js';
import { errorLines, latencyTable, mediaTable, notes } from './report.js';
import { runStep, type CpuSource, type StepResult, type StepSettings } from './step.js';

/** Flags shared by `npm run load -- calls --media` and `npm run bench -- calls --media`. */
export const mediaOptions = {
  media: { type: 'boolean', default: false },
  calls: { type: 'string', default: '4' },
  duration: { type: 'string', default: '20' },
  warmup: { type: 'string', default: '5' },
  hold: { type: 'string', default: '0' },
  ramp: { type: 'string', default: '2' },
  settle: { type: 'string', default: '3' },
  timeout: { type: 'string', default: '10000' },
  video: { type: 'string', default: '640x480@15' },
  audio: { type: 'boolean', default: false },
  'one-way': { type: 'boolean', default: false },
  'setup-concurrency': { type: 'string', default: '16' },
  quiet: { type: 'string', default: '30' },
  'quiet-wait': { type: 'string', default: '900' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const MEDIA_USAGE = `  --calls N[,N...]       concurrent calls; a list runs one step per value, e.g. 1,2,4,8 (default 4)
  --duration S           measured seconds per step (default 20)
  --warmup S             seconds before the CPU window, while the first calls set up (default 5)
  --hold S               a call lasts S s from its set-up, then its slot sets up the next one
                         (default 0: every call lasts the whole step; give e.g. 10 for set-ups under load)
  --ramp S               the N calls start spread over S s (default 2)
  --settle S             idle seconds between steps (default 3)
  --timeout MS           per signaling ack and per first frame (default 10000)
  --video WxH@FPS        synthetic video each publisher sends (default 640x480@15)
  --audio                also publish a 440 Hz tone (Opus)
  --one-way              only the caller publishes and only the callee subscribes (default: both ways)
  --setup-concurrency N  sign-ups and connects at once (default 16)
  --quiet PCT            before each step wait until the whole machine is busy at most PCT % of one core
                         over 2 s (every call of the last step gone; default 30, 0 = do not wait)
  --quiet-wait S         give up waiting for quiet after S s and run anyway, saying so (default 900)`;

export interface MediaFlags {
  steps: number[];
  step: Omit<StepSettings, 'calls'>;
  settleS: number;
  peers: PeerSettings;
  setupConcurrency: number;
  quietPct: number;
  quietWaitS: number;
}

export function mediaFlags(v: Record<string, string | boolean | undefined | string[]>, usage: string): MediaFlags {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const steps = listFlag('calls', str('calls'), 1, 200, usage);
  const video = /^(\d+)x(\d+)@(\d+)$/.exec(String(str('video')));
  if (!video) usageError(`--video must look like 640x480@15, got "${str('video')}"`, usage);
  const [width, height, fps] = [Number(video[1]), Number(video[2]), Number(video[3])];
  if (width < 16 || height < 16 || width > 1920 || height > 1080 || width % 2 || height % 2 || fps < 1 || fps > 60) {
    usageError('--video: even width and height from 16x16 to 1920x1080, 1 to 60 fps', usage);
  }
  return {
    steps,
    step: {
      durationS: numberFlag('duration', str('duration'), 1, 600, usage, false),
      warmupS: numberFlag('warmup', str('warmup'), 0, 120, usage, false),
      holdS: numberFlag('hold', str('hold'), 0, 600, usage, false),
      rampS: numberFlag('ramp', str('ramp'), 0, 60, usage, false),
      timeoutMs: numberFlag('timeout', str('timeout'), 500, 60_000, usage),
      oneWay: v['one-way'] === true,
    },
    settleS: numberFlag('settle', str('settle'), 0, 120, usage, false),
    peers: { width, height, fps, audio: v.audio === true },
    setupConcurrency: numberFlag('setup-concurrency', str('setup-concurrency'), 1, 256, usage),
    quietPct: numberFlag('quiet', str('quiet'), 0, 200, usage, false),
    quietWaitS: numberFlag('quiet-wait', str('quiet-wait'), 0, 7200, usage, false),
  };
}

export function header(kind: 'load' | 'bench', f: MediaFlags, targets: string[]): string {
  const s = f.step;
  return (
    `${kind} calls --media: ${f.steps.join(', ')} concurrent call(s) against ${targets.join(' and ')}, ` +
    `${s.warmupS}s warm-up + ${s.durationS}s per step${s.holdS ? `, calls of ${s.holdS}s` : ''}, ` +
    `video ${f.peers.width}x${f.peers.height}@${f.peers.fps}${f.peers.audio ? ' + audio' : ''}${s.oneWay ? ', one way' : ''}; ` +
    `node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`
  );
}

/** This process's own CPU (the Socket.IO clients of the load generator). */
export const selfCpu = (name: string): CpuSource => ({
  name,
  async sample() {
    const u = process.cpuUsage();
    return { cpuUs: u.user + u.system, atMs: performance.now() };
  },
});

/**
 * Waits until the machine is quiet (other benchmarks or test runs share it):
 * busy at most `pct` % of one core over 2 s. Returns what it saw last.
 */
async function waitQuiet(f: MediaFlags, printer: ProgressPrinter, interrupted: () => boolean): Promise<string> {
  if (f.quietPct <= 0) return '';
  const w = await waitForQuiet({
    pct: f.quietPct,
    maxS: f.quietWaitS,
    stop: interrupted,
    onBusy: (busy) => printer.log(`waiting for the machine to be quiet (≤ ${f.quietPct}% of a core; now ${busy.toFixed(0)}%) ...`),
  });
  return w.timedOut
    ? `machine still ${w.busyPct.toFixed(0)}% busy after waiting ${f.quietWaitS}s for quiet: this step shares the machine`
    : `machine ${w.busyPct.toFixed(0)}% busy before the step`;
}

/**
 * Runs every step against every driver (the bare baseline first, so each
 * Pairly row follows the bare row it compares with), prints the tables and
 * returns whether any call failed.
 */
export async function runSteps(
  drivers: CallDriver[],
  peers: MediaPeersProcess,
  f: MediaFlags,
  cpuSources: CpuSource[],
  printer: ProgressPrinter,
  interrupted: () => boolean,
): Promise<{ rows: StepResult[]; failed: boolean }> {
  const rows: StepResult[] = [];
  for (const calls of f.steps) {
    for (const d of drivers) {
      if (interrupted()) break;
      const quiet = await waitQuiet(f, printer, interrupted);
      printer.log(`step: ${d.name}, ${calls} concurrent call(s); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}${quiet ? `; ${quiet}` : ''}`);
      const r = await runStep(d, peers, { ...f.step, calls }, cpuSources, printer, `${d.name} ×${calls}`);
      rows.push(r);
      printer.log(
        `  ${r.completed} calls done, ${r.failed} failed; set-up p50 ${r.setup.p50.toFixed(0)} ms, first frame p50 ${r.firstFrame.p50.toFixed(0)} ms; ` +
          `${r.streams.fpsP50.toFixed(1)} fps/stream; Janus ${r.cpu.janus?.toFixed(0) ?? '?'}%, peers ${r.cpu.peers?.toFixed(0) ?? '?'}%`,
      );
      await sleep(f.settleS * 1000);
    }
  }
  const s = f.step;
  console.log(
    [
      '',
      latencyTable(rows),
      '',
      mediaTable(rows),
      '',
      ...notes({ ...f.peers, oneWay: s.oneWay, holdS: s.holdS }),
      ...errorLines(rows),
    ].join('\n'),
  );
  return { rows, failed: rows.some((r) => r.failed > 0) };
}
