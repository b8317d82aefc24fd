import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CallMedia } from '../../../../../shared/calls.js';
import type { FromPeers, PeerSettings, ReceivedStats, ToPeers } from './protocol.js';

const ROOT = fileURLToPath(new URL('../../../../..', import.meta.url));
const PEERS = fileURLToPath(new URL('./peers.ts', import.meta.url));

/** Runs a command inside a network namespace (TestNetns.spawn, or `ip netns exec` by name). */
export type SpawnIn = (command: string, args: string[], options: SpawnOptions) => ChildProcess;

export const spawnInNetns =
  (name: string): SpawnIn =>
  (command, args, options) =>
    spawn('ip', ['netns', 'exec', name, command, ...args], options);

/** Wall clock with sub-ms precision, comparable with the media-peer process's `atMs`. */
export const wallNow = () => performance.timeOrigin + performance.now();

export class MediaPeerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MediaPeerError';
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: Error): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a participant nobody waits on must not crash the process
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (v) => {
      if (!d.settled) (d.settled = true), resolve(v);
    },
    reject: (e) => {
      if (!d.settled) (d.settled = true), reject(e);
    },
  };
  return d;
}

function within<T>(p: Promise<T>, ms: number, code: string, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MediaPeerError(code, `${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface ParticipantState {
  joined: Deferred<{ feedId: number; atMs: number }>;
  firstFrame: Deferred<{ atMs: number; width: number; height: number }>;
  left: Deferred<{ atMs: number; received: ReceivedStats }>;
  errors: string[];
}

export interface PeersStats {
  atMs: number;
  participants: number;
  receiving: number;
  framesTotal: number;
}

/**
 * The load generator's handle on the media-peer process (peers.ts)
 * running inside the Janus namespace: one JSON line per command, promises
 * per participant for joined / first frame / left.
 */
export class MediaPeersProcess {
  private readonly participants = new Map<string, ParticipantState>();
  private readonly statsWaiters = new Map<number, (s: PeersStats) => void>();
  private nextStatsId = 1;
  private stderr = '';
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly wrtcVersion: string,
    private readonly onLine: (handler: (m: FromPeers) => void) => void,
  ) {
    this.exit = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      this.exited = true;
      const err = new MediaPeerError('PEERS_EXITED', `the media-peer process exited (${code ?? signal}): ${this.stderr.slice(-2000)}`);
      for (const p of this.participants.values()) for (const d of [p.joined, p.firstFrame, p.left]) d.reject(err);
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-16_384);
    });
    onLine((m) => this.dispatch(m));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts the process in the namespace and waits for `ready` (wrtc loaded). */
  static async start(spawnIn: SpawnIn, settings: PeerSettings, timeoutMs = 20_000): Promise<MediaPeersProcess> {
    const args = ['--import', 'tsx', PEERS, '--width', String(settings.width), '--height', String(settings.height), '--fps', String(settings.fps)];
    if (settings.audio) args.push('--audio');
    const child = spawnIn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const handlers: Array<(m: FromPeers) => void> = [];
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      let m: FromPeers;
      try {
        m = JSON.parse(line) as FromPeers;
      } catch {
        return;
      }
      for (const h of handlers) h(m);
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const ready = await new Promise<{ wrtc: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the media-peer process did not start within ${timeoutMs} ms: ${err}`)), timeoutMs);
      handlers.push((m) => {
        if (m.type === 'ready') clearTimeout(timer), resolve(m);
        if (m.type === 'failed') clearTimeout(timer), reject(new Error(m.message));
      });
      child.once('error', (e) => (clearTimeout(timer), reject(e)));
      child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the media-peer process exited (${code}): ${err}`))));
    }).catch((e: Error) => {
      child.kill('SIGKILL');
      throw e;
    });
    return new MediaPeersProcess(child, ready.wrtc, (h) => handlers.push(h));
  }

  private send(cmd: ToPeers): void {
    if (this.exited) throw new MediaPeerError('PEERS_EXITED', 'the media-peer process is gone');
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  private dispatch(m: FromPeers): void {
    if (m.type === 'stats') {
      this.statsWaiters.get(m.id)?.(m);
      this.statsWaiters.delete(m.id);
      return;
    }
    if (!('key' in m)) return;
    const p = this.participants.get(m.key);
    if (!p) return;
    switch (m.type) {
      case 'joined':
        p.joined.resolve(m);
        break;
      case 'first-frame':
        p.firstFrame.resolve(m);
        break;
      case 'left':
        p.left.resolve(m);
        this.participants.delete(m.key);
        break;
      case 'error':
      case 'ended': {
        const text = m.type === 'error' ? m.message : `media ended: ${m.reason}`;
        p.errors.push(text);
        const code = m.type === 'error' ? (m.code !== undefined ? `JANUS_${m.code}` : 'MEDIA_ERROR') : 'MEDIA_ENDED';
        const err = new MediaPeerError(code, text);
        p.joined.reject(err);
        p.firstFrame.reject(err);
        break;
      }
    }
  }

  /** Joins one call participant (see ToPeers `join`). */
  join(key: string, media: CallMedia, opts: { publish: boolean; subscribe: boolean }): void {
    this.participants.set(key, { joined: deferred(), firstFrame: deferred(), left: deferred(), errors: [] });
    this.send({ type: 'join', key, media, ...opts });
  }

  joined(key: string, timeoutMs: number): Promise<{ feedId: number; atMs: number }> {
    const p = this.participants.get(key);
    if (!p) return Promise.reject(new MediaPeerError('NOT_JOINED', `${key} has not joined`));
    return within(p.joined.promise, timeoutMs, 'JOIN_TIMEOUT', `${key}: no VideoRoom join`);
  }

  /** Resolves with the wall time of the first decoded frame; rejects on a media error or after timeoutMs. */
  firstFrame(key: string, timeoutMs: number): Promise<{ atMs: number; width: number; height: number }> {
    const p = this.participants.get(key);
    if (!p) return Promise.reject(new MediaPeerError('NOT_JOINED', `${key} has not joined`));
    return within(p.firstFrame.promise, timeoutMs, 'NO_FRAME', `${key}: no decoded frame`);
  }

  /** Tears the participant's media down; resolves with what it received. */
  async leave(key: string, timeoutMs = 10_000): Promise<{ atMs: number; received: ReceivedStats }> {
    const p = this.participants.get(key);
    if (!p) return { atMs: wallNow(), received: { frames: 0, maxGapMs: 0 } };
    this.send({ type: 'leave', key });
    return within(p.left.promise, timeoutMs, 'LEAVE_TIMEOUT', `${key}: no leave`);
  }

  stats(timeoutMs = 5000): Promise<PeersStats> {
    const id = this.nextStatsId++;
    const got = new Promise<PeersStats>((resolve) => this.statsWaiters.set(id, resolve));
    this.send({ type: 'stats', id });
    return within(got, timeoutMs, 'STATS_TIMEOUT', 'no stats').finally(() => this.statsWaiters.delete(id));
  }

  /** Closes stdin (the process exits by itself), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exit;
    clearTimeout(timer);
  }
}
