import { spawn } from 'node:child_process';
import { MediaTimeout } from './errors.js';

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** The last `maxStderrBytes` of stderr, as text. */
  stderr: string;
}

export interface ToolOptions {
  /** Killed (SIGKILL) after this long; the promise rejects with MediaTimeout once the process is gone. */
  timeoutMs: number;
  /** For the MediaTimeout message, e.g. "ffprobe". */
  step: string;
  signal?: AbortSignal;
  /** Stdout past this is a failure (a hostile file can make ffprobe print a lot). Default 4 MiB. */
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
  /** Told the child's pid once it runs (for observers: the tests check that a killed tool is gone). */
  onSpawn?: (pid: number) => void;
}

/** Thrown when a tool prints more than `maxStdoutBytes`. */
export class ToolOutputTooLarge extends Error {
  constructor(readonly step: string) {
    super(`${step} printed more than its output limit`);
    this.name = 'ToolOutputTooLarge';
  }
}

/**
 * Runs ffmpeg or ffprobe (no shell, stdin closed) and collects its output.
 * Resolves with the exit status whatever it is: the caller decides what a
 * non-zero exit means. On timeout, abort or too much output the process is
 * SIGKILLed (ffmpeg would try to finish its output on SIGTERM, which is what
 * a hung decoder must not get to do) and the promise settles only after the
 * process has exited, so the caller can delete its files safely.
 */
export function runTool(cmd: string, args: string[], o: ToolOptions): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(abortReason(o.signal));
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    if (child.pid !== undefined) o.onSpawn?.(child.pid);
    const maxOut = o.maxStdoutBytes ?? 4 * 1024 * 1024;
    const maxErr = o.maxStderrBytes ?? 64 * 1024;
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: Error | undefined;
    const kill = (why: Error) => {
      failure ??= why;
      child.kill('SIGKILL');
    };

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOut) return kill(new ToolOutputTooLarge(o.step));
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      if (err.length > maxErr * 2) err = err.slice(-maxErr);
    });

    const timer = setTimeout(() => kill(new MediaTimeout(o.step, o.timeoutMs)), o.timeoutMs);
    const onAbort = () => kill(abortReason(o.signal!));
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const done = () => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (e) => {
      done();
      reject(failure ?? e);
    });
    // 'close' comes after the process exited and its pipes are drained.
    child.once('close', (code, signal) => {
      done();
      if (failure) return reject(failure);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err.slice(-maxErr) });
    });
  });
}

export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error('the operation was aborted');
  e.name = 'AbortError';
  return e;
}
