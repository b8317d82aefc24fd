import type { ProgressSnapshot } from './progress.js';
import type { ProcessSample } from './probe.js';
import type { RunResult } from './runner.js';

/** What bench asks a driver child to do: open the scenario against `urls` and run the loop. */
export interface DriverRequest {
  scenario: string;
  label: string;
  urls: string[];
  auth: boolean;
  clients: number;
  inflight: number;
  durationS: number;
  warmupS: number;
  ratePerLoop: number;
  timeoutMs: number;
  setupConcurrency: number;
}

/**
 * Parent → driver: run, then go (after the parent sampled the idle server),
 * then close (after it sampled the loaded server).
 */
export type ToDriver = { type: 'run'; request: DriverRequest } | { type: 'go' } | { type: 'close' };

export type FromDriver =
  | { type: 'log'; message: string }
  | { type: 'ready'; clients: number; setupMs: Record<string, number> }
  | { type: 'progress'; snapshot: ProgressSnapshot }
  | { type: 'measure-start' }
  | { type: 'result'; result: RunResult }
  | { type: 'closed' }
  | { type: 'failed'; message: string };

/** Parent ↔ bare baseline server child. */
export type ToBare = { type: 'probe' } | { type: 'reset-peak' } | { type: 'stop' };
export type FromBare =
  | { type: 'listening'; port: number }
  | { type: 'probe'; sample: ProcessSample }
  | { type: 'failed'; message: string };

/**
 * The child side of a baseline server (bare-server.ts, chat's bare-relay.ts),
 * once it listens: answers the parent's probes, stops on `stop` or when the
 * parent goes away, and tells the parent its port.
 */
export function serveParent(port: number, probe: { sample(): ProcessSample; resetPeak(): void }, stop: () => void): void {
  const send = (m: FromBare) => process.send!(m);
  process.on('disconnect', stop);
  process.on('message', (m: ToBare) => {
    if (m.type === 'probe') send({ type: 'probe', sample: probe.sample() });
    else if (m.type === 'reset-peak') probe.resetPeak();
    else stop();
  });
  send({ type: 'listening', port });
}
