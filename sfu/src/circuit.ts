import { BrokenCircuitError, CircuitState as Cockatiel, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import type { CircuitState } from '../../shared/health.js';
import { JanusUnreachableError } from './errors.js';
import type { SfuLogger } from './options.js';

export interface CircuitOptions {
  /** Consecutive requests that got no answer in time that open the circuit. Default 3. */
  failures?: number;
  /** How long an open circuit refuses requests before one trial. Default 5000 ms. */
  halfOpenMs?: number;
}

export const DEFAULT_CIRCUIT = { failures: 3, halfOpenMs: 5000 };

/**
 * One Janus instance's circuit breaker (cockatiel). Only requests that got no
 * answer in time count: a hung Janus costs SFU_TIMEOUT_MS per request, which
 * is what the breaker saves. A refused connection fails at once anyway and a
 * Janus error reply means the instance is up, so neither counts (and a Janus
 * that restarts is used again at once, not after the half-open delay).
 * Open, a request fails at once with JanusUnreachableError, so the controller
 * treats the instance as it treats a dead one (skipped for placement,
 * unhealthy in health(), ticks deferred).
 */
export class JanusCircuit {
  private readonly breaker;

  constructor(
    private readonly instance: string,
    opts: CircuitOptions = {},
    logger?: SfuLogger,
  ) {
    const { failures, halfOpenMs } = { ...DEFAULT_CIRCUIT, ...opts };
    this.breaker = circuitBreaker(handleWhen((err) => err instanceof JanusUnreachableError && err.timedOut), { halfOpenAfter: halfOpenMs, breaker: new ConsecutiveBreaker(failures) });
    this.breaker.onBreak(() => logger?.warn({ instance }, `sfu: circuit open after ${failures} requests went unanswered; the instance is skipped`));
    this.breaker.onReset(() => logger?.warn({ instance }, 'sfu: circuit closed, the instance answers again'));
  }

  state(): CircuitState {
    if (this.breaker.state === Cockatiel.Closed) return 'closed';
    return this.breaker.state === Cockatiel.HalfOpen ? 'half-open' : 'open';
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.breaker.execute(fn);
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new JanusUnreachableError(this.instance, 'circuit open (recent requests went unanswered); not called');
      throw err;
    }
  }
}
