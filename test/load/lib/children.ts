import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DriverRequest, FromBare, FromDriver, ToBare, ToDriver } from './ipc.js';
import type { ProcessSample } from './probe.js';
import type { ProgressPrinter } from './progress.js';
import type { RunResult } from './runner.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** `node --import tsx <file>` with an IPC channel: one PID, killed by the caller. */
export function spawnTs(file: URL, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', fileURLToPath(file), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env },
  });
}

/** Waits for the exit, SIGKILLing after `graceMs`. */
export async function reap(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface DriverHooks {
  printer: ProgressPrinter;
  /** All clients connected and idle: sample the server before load. */
  beforeLoad?(): Promise<void>;
  /** Warm-up over, the measured window starts. */
  onMeasureStart?(): void;
  /** Measured window over, clients still connected: sample the loaded server. */
  afterLoad?(): Promise<void>;
}

export interface DriverOutcome {
  result: RunResult;
  setupMs: Record<string, number>;
}

/**
 * Runs one scenario in a driver child and walks it through
 * run → ready → go → result → close. The whole exchange has a deadline, so a
 * stuck child cannot keep bench running.
 */
export async function driveInChild(request: DriverRequest, hooks: DriverHooks, setupBudgetMs = 180_000): Promise<DriverOutcome> {
  const child = spawnTs(new URL('./driver.ts', import.meta.url));
  const send = (m: ToDriver) => child.send(m);
  const deadlineMs = setupBudgetMs + (request.warmupS + request.durationS) * 1000 + request.timeoutMs + 30_000;
  let setupMs: Record<string, number> = {};
  let result: RunResult | undefined;

  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`driver did not finish within ${deadlineMs} ms`)), deadlineMs);
      const fail = (err: Error) => {
        clearTimeout(deadline);
        reject(err);
      };
      child.once('error', fail);
      child.once('exit', (code, signal) => {
        clearTimeout(deadline);
        if (result) resolve();
        else reject(new Error(`driver exited (${signal ?? code}) before reporting a result`));
      });
      child.on('message', (m: FromDriver) => {
        const step = async () => {
          switch (m.type) {
            case 'log':
              return hooks.printer.log(m.message);
            case 'progress':
              return hooks.printer.update(m.snapshot);
            case 'ready':
              setupMs = m.setupMs;
              await hooks.beforeLoad?.();
              return send({ type: 'go' });
            case 'measure-start':
              return hooks.onMeasureStart?.();
            case 'result':
              hooks.printer.end();
              result = m.result;
              await hooks.afterLoad?.();
              return send({ type: 'close' });
            case 'closed':
              return;
            case 'failed':
              hooks.printer.end();
              throw new Error(`driver failed: ${m.message}`);
          }
        };
        step().catch(fail);
      });
      send({ type: 'run', request });
    });
  } finally {
    hooks.printer.end();
    if (child.connected) child.disconnect();
    await reap(child, 5000);
  }
  return { result: result!, setupMs };
}

export interface BareServer {
  url: string;
  pid: number;
  /** The child's own memory and CPU (it samples itself); rejects once it is gone. */
  sample(): Promise<ProcessSample>;
  resetPeak(): void;
  stop(): Promise<void>;
}

/** The plain socket.io baseline of a request/ack scenario in its own process (see bare-server.ts). */
export function startBare(scenario: string): Promise<BareServer> {
  return startBaseline(new URL('./bare-server.ts', import.meta.url), [scenario], 'bare server');
}

/**
 * A baseline server child (`file` answers over IPC, see ipc.ts serveParent):
 * resolves once it listens; `what` names it in errors.
 */
export async function startBaseline(file: URL, args: string[], what: string): Promise<BareServer> {
  const child = spawnTs(file, args);
  const send = (m: ToBare) => child.send(m);
  const waiting: Array<(s: ProcessSample) => void> = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code})`)));
    child.on('message', (m: FromBare) => {
      if (m.type === 'listening') {
        clearTimeout(timer);
        resolve(m.port);
      } else if (m.type === 'probe') waiting.shift()?.(m.sample);
      else if (m.type === 'failed') reject(new Error(`${what} failed: ${m.message}`));
    });
  }).catch(async (err) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    sample: () =>
      new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error(`${what} is gone`));
        waiting.push(resolve);
        send({ type: 'probe' });
      }),
    resetPeak: () => send({ type: 'reset-peak' }),
    async stop() {
      if (child.connected) send({ type: 'stop' });
      await reap(child, 5000);
    },
  };
}
