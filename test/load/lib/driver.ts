import { childChannel } from './child-channel.js';
import type { FromDriver, ToDriver } from './ipc.js';
import { runLoop } from './runner.js';
import { loadLoop, type LoopRun } from './scenario.js';

/**
 * The load generator as a child process of bench (`node --import tsx
 * test/load/lib/driver.ts`, IPC channel on fd 3), so that client and server
 * do not share one event loop. It only talks to the parent over IPC; the
 * parent prints.
 */

const { send, sendLast, expect: receive } = childChannel<ToDriver, FromDriver>('the bench driver');

async function main(): Promise<void> {
  const { request: r } = await receive('run');
  const loop = await loadLoop(r.scenario);
  let run: LoopRun | undefined;
  try {
    run = await loop.open({
      urls: r.urls,
      clients: r.clients,
      auth: r.auth,
      timeoutMs: r.timeoutMs,
      setupConcurrency: r.setupConcurrency,
      log: (message) => send({ type: 'log', message: `[${r.label}] ${message}` }),
    });
    send({ type: 'ready', clients: run.clients, setupMs: run.setupMs });
    await receive('go');
    const result = await runLoop(run, {
      label: r.label,
      inflight: r.inflight,
      durationS: r.durationS,
      warmupS: r.warmupS,
      ratePerLoop: r.ratePerLoop,
      onProgress: (snapshot) => send({ type: 'progress', snapshot }),
      onMeasureStart: () => send({ type: 'measure-start' }),
    });
    send({ type: 'result', result });
    await receive('close');
  } finally {
    await run?.close();
  }
}

main()
  .then(() => sendLast({ type: 'closed' }))
  .catch(async (err: unknown) => {
    process.exitCode = 1;
    await sendLast({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  })
  .finally(() => process.disconnect());
