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
