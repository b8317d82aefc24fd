import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaConfig } from '../../../../server/src/config.js';
import { processImage, processVideo } from '../../../../server/src/modules/media/processing/index.js';
import type { CreateUploadResult, MediaView } from '../../../../shared/media.js';
import { http, type ClientSocket } from '../../../support/client.js';
import { sendUpload } from '../../../support/media.js';
import { CpuWatch, load1, type CpuSnapshot } from '../../lib/machine.js';
import { machineBusyPct, machineCpu } from '../../lib/probe.js';
import type { ProgressPrinter } from '../../lib/progress.js';

/**
 * One round of the pipeline bench (pipeline.ts): `n` items at once, either
 * through Pairly's HTTP API (create, send, confirm, then wait for the
 * `media:updated` push) or through processImage/processVideo in this
 * process (the bare cost of the work). Both record per-item latency, the
 * round's wall time and the CPU of every process involved.
 */

export type PipelineKind = 'image' | 'video';
export type PipelineVariant = 'bare' | 'pairly';

export interface PipelineRound {
  kind: PipelineKind;
  variant: PipelineVariant;
  round: number;
  items: number;
  /** Per item, ms: bare = the processImage/processVideo call; pairly = confirm answered → ready pushed. */
  latenciesMs: number[];
  /** Pairly only: create + send of the bytes per item, and the confirm request itself. */
  uploadMs: number[];
  confirmMs: number[];
  /** Pushes that arrived before the confirm's answer (counted as 0 ms). */
  earlyPushes: number;
  /** From the first confirm sent (bare: the first call) to the last item done. */
  wallMs: number;
  errors: Record<string, number>;
  /** % of one core over the wall window. */
  cpu: { bench: number; node?: number; workers?: number; pg?: number; redis?: number };
  /** Whole machine busy, % of all cores. */
  machinePct: number | undefined;
  load1: number;
}

/** utime + stime + cutime + cstime of a process, µs: ffmpeg children it waited for count (/proc/<pid>/stat). */
export function cpuWithChildrenUs(pid: number | 'self'): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10_000;
  } catch {
    return undefined;
  }
}

/** The processes whose CPU a round reports. */
export interface RoundProcesses {
  nodePid: number;
  /** Cluster mode: the workers process. */
  workersPid?: number;
  /** Cluster mode: PostgreSQL backends of the bench's database and the Redis server. */
  watch?: CpuWatch;
}

interface Window {
  atMs: number;
  self: number;
  node: number | undefined;
  workers: number | undefined;
  watch: CpuSnapshot | undefined;
  machine: ReturnType<typeof machineCpu>;
  load: number;
}

async function openWindow(p: RoundProcesses): Promise<Window> {
  return {
    watch: await p.watch?.snapshot(),
    atMs: performance.now(),
    self: cpuWithChildrenUs('self') ?? 0,
    node: cpuWithChildrenUs(p.nodePid),
    workers: p.workersPid === undefined ? undefined : cpuWithChildrenUs(p.workersPid),
    machine: machineCpu(),
    load: load1(),
  };
}

async function closeWindow(p: RoundProcesses, a: Window): Promise<Pick<PipelineRound, 'cpu' | 'machinePct' | 'load1'>> {
  const b = { machine: machineCpu(), atMs: performance.now(), self: cpuWithChildrenUs('self') ?? 0 };
  const node = cpuWithChildrenUs(p.nodePid);
  const workers = p.workersPid === undefined ? undefined : cpuWithChildrenUs(p.workersPid);
  const watch = a.watch && p.watch ? CpuWatch.window(a.watch, await p.watch.snapshot()) : undefined;
  const ms = Math.max(1, b.atMs - a.atMs);
  const pct = (x: number | undefined, y: number | undefined) => (x === undefined || y === undefined ? undefined : ((y - x) / 1000 / ms) * 100);
  return {
    cpu: {
      bench: pct(a.self, b.self)!,
      ...(pct(a.node, node) !== undefined ? { node: pct(a.node, node) } : {}),
      ...(pct(a.workers, workers) !== undefined ? { workers: pct(a.workers, workers) } : {}),
      ...(watch ? { pg: watch.pgPct, ...(watch.redisPct !== undefined ? { redis: watch.redisPct } : {}) } : {}),
    },
    machinePct: machineBusyPct(a.machine, b.machine),
    load1: a.load,
  };
}

/** One signed-in user with a socket: the socket hears its own `media:updated` pushes. */
export interface Uploader {
  token: string;
  socket: ClientSocket;
}

/** Settles when the push for `id` says ready (or rejects on a refusal), or after `timeoutMs`. */
class PushWaiter {
  private readonly waiting = new Map<string, { resolve(at: number): void; reject(e: Error): void }>();
  private readonly early = new Map<string, number | Error>();

  constructor(sockets: ClientSocket[]) {
    for (const s of sockets) s.on('media:updated', ({ media }: { media: MediaView }) => this.heard(media));
  }

  private heard(media: MediaView): void {
    const at = performance.now();
    const outcome = media.state === 'ready' ? at : media.state === 'rejected' ? new Error(`REJECTED_${media.rejectReason ?? 'unknown'}`) : undefined;
    if (outcome === undefined) return;
    const w = this.waiting.get(media.id);
    if (!w) return void this.early.set(media.id, outcome);
    this.waiting.delete(media.id);
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }

  /** Every item still waiting fails with `err` (a server process died: no push is coming). */
  failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  /** Call before the confirm goes out, so that a push faster than the confirm's answer is not missed. */
  expect(id: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error('TIMEOUT'));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (at) => (clearTimeout(timer), resolve(at)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      const early = this.early.get(id);
      if (early === undefined) return;
      this.early.delete(id);
      this.waiting.delete(id);
      clearTimeout(timer);
      if (early instanceof Error) reject(early);
      else resolve(early);
    });
  }
}

export interface PairlyTarget {
  url: string;
  uploaders: Uploader[];
  processes: RoundProcesses;
  /** Throws when a server process died (its output), so that a round does not wait out its timeout. */
  assertAlive(): void;
}

const codeOf = (err: unknown) => (err instanceof Error ? err.message.split(':')[0]! : String(err)).slice(0, 60);

/**
 * Pairly: every uploader creates an upload and sends the bytes, all at once;
 * when every upload is stored, all confirm at once and each waits for its
 * ready push. confirm→ready runs from the confirm's answer to the push.
 */
export async function pairlyRound(o: {
  target: PairlyTarget;
  kind: PipelineKind;
  round: number;
  bytes: Buffer;
  contentType: string;
  timeoutMs: number;
  printer: ProgressPrinter;
  label: string;
}): Promise<PipelineRound> {
  const { target } = o;
  const errors: Record<string, number> = {};
  const fail = (err: unknown) => void (errors[codeOf(err)] = (errors[codeOf(err)] ?? 0) + 1);
  const waiter = new PushWaiter(target.uploaders.map((u) => u.socket));
  const uploadMs: number[] = [];
  let uploaded = 0;
  let ready = 0;
  const t00 = performance.now();
  const ticker = setInterval(() => {
    try {
      target.assertAlive();
    } catch (err) {
      o.printer.log((err as Error).message);
      waiter.failAll(new Error('SERVER_EXITED'));
    }
    o.printer.status(`${o.label} ${((performance.now() - t00) / 1000).toFixed(1)}s  stored ${uploaded}/${target.uploaders.length}  ready ${ready}  errors ${Object.values(errors).reduce((a, b) => a + b, 0)}`);
  }, 1000);
  try {
    const stored = await Promise.all(
      target.uploaders.map(async (u) => {
        const t0 = performance.now();
        try {
          const created = await http<CreateUploadResult>(target.url, 'POST', '/api/media/uploads', {
            token: u.token,
            body: { kind: 'post_media', contentType: o.contentType, size: o.bytes.length, filename: `bench.${o.kind === 'image' ? 'jpg' : 'mp4'}` },
          });
          if (created.status !== 201 || !('upload' in created.body)) throw new Error(`CREATE_${created.status}: ${JSON.stringify(created.body).slice(0, 200)}`);
          const sent = await sendUpload(target.url, created.body.upload, o.bytes);
          if (!sent.ok) throw new Error(`SEND_${sent.status}: ${(await sent.text()).slice(0, 200)}`);
          uploadMs.push(performance.now() - t0);
          uploaded++;
          return { u, id: created.body.media.id };
        } catch (err) {
          fail(err);
          return undefined;
        }
      }),
    );

    const window = await openWindow(target.processes);
    const latenciesMs: number[] = [];
    const confirmMs: number[] = [];
    let earlyPushes = 0;
    const t0 = performance.now();
    await Promise.all(
      stored.map(async (s) => {
        if (!s) return;
        const pushed = waiter.expect(s.id, o.timeoutMs);
        pushed.catch(() => undefined);
        try {
          const sentAt = performance.now();
          const confirmed = await http(target.url, 'POST', `/api/media/${s.id}/confirm`, { token: s.u.token, body: {} });
          const answeredAt = performance.now();
          if (confirmed.status !== 202) throw new Error(`CONFIRM_${confirmed.status}: ${JSON.stringify(confirmed.body).slice(0, 200)}`);
          confirmMs.push(answeredAt - sentAt);
          const readyAt = await pushed;
          if (readyAt < answeredAt) earlyPushes++;
          latenciesMs.push(Math.max(0, readyAt - answeredAt));
          ready++;
        } catch (err) {
          fail(err);
        }
      }),
    );
    const wallMs = performance.now() - t0;
    return {
      kind: o.kind,
      variant: 'pairly',
      round: o.round,
      items: latenciesMs.length,
      latenciesMs,
      uploadMs,
      confirmMs,
      earlyPushes,
      wallMs,
      errors,
      ...(await closeWindow(target.processes, window)),
    };
  } finally {
    clearInterval(ticker);
    o.printer.end();
    for (const u of target.uploaders) u.socket.off('media:updated');
  }
}

/**
 * The bare cost: processImage / processVideo on the same file, `n` calls at
 * once in this process, with the limits the media job passes (MediaConfig
 * defaults). Outputs go to `work` and are removed.
 */
export async function bareRound(o: {
  kind: PipelineKind;
  round: number;
  n: number;
  input: string;
  work: string;
  media: MediaConfig;
  processes: RoundProcesses;
  printer: ProgressPrinter;
  label: string;
}): Promise<PipelineRound> {
  const { limits, processTimeoutSeconds } = o.media;
  const timeoutMs = processTimeoutSeconds * 1000;
  const errors: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const window = await openWindow(o.processes);
  const t0 = performance.now();
  const ticker = setInterval(
    () => o.printer.status(`${o.label} ${((performance.now() - t0) / 1000).toFixed(1)}s  done ${latenciesMs.length}/${o.n}`),
    1000,
  );
  try {
    await Promise.all(
      Array.from({ length: o.n }, async (_, i) => {
        const dir = join(o.work, `bare-${o.kind}-${o.round}-${i}`);
        await mkdir(dir, { recursive: true });
        const s = performance.now();
        try {
          if (o.kind === 'image') await processImage(o.input, dir, { maxBytes: limits.imageMaxBytes, maxPixels: limits.imageMaxPixels, timeoutMs });
          else await processVideo(o.input, dir, { maxBytes: limits.videoMaxBytes, maxPixels: limits.imageMaxPixels, maxVideoSeconds: limits.videoMaxSeconds, timeoutMs });
          latenciesMs.push(performance.now() - s);
        } catch (err) {
          errors[codeOf(err)] = (errors[codeOf(err)] ?? 0) + 1;
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
    );
  } finally {
    clearInterval(ticker);
    o.printer.end();
  }
  const wallMs = performance.now() - t0;
  return {
    kind: o.kind,
    variant: 'bare',
    round: o.round,
    items: latenciesMs.length,
    latenciesMs,
    uploadMs: [],
    confirmMs: [],
    earlyPushes: 0,
    wallMs,
    errors,
    ...(await closeWindow(o.processes, window)),
  };
}
