import {
  BrokenCircuitError,
  CircuitState as Cockatiel,
  ConsecutiveBreaker,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  timeout,
  wrap,
} from 'cockatiel';
import type { ErrorCode } from '../../shared/errors.js';
import type { CircuitState } from '../../shared/health.js';
import { AppError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * A circuit breaker (cockatiel) in front of one outside service: after
 * `failures` consecutive failures it opens, and every call fails at once
 * with AppError(`code`) instead of piling up on a service that hangs; after
 * `halfOpenMs` one trial call goes through, and its success closes it.
 * Only outages count (`isFailure`: timeouts, connection errors, 5xx); a
 * refusal the service answered (a 4xx) means it is up.
 */
export interface Breaker {
  readonly name: string;
  state(): CircuitState;
  /** fn gets an AbortSignal that fires at the timeout (when one is set); late results are dropped. */
  run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Fails now, as run() would, while the breaker is open and not yet due a trial. */
  assertAvailable(): void;
}

export interface BreakerOptions {
  name: string;
  code: ErrorCode;
  failures: number;
  halfOpenMs: number;
  /** Each call's whole budget (retries inside it included); unset: the caller's own timeouts. */
  timeoutMs?: number;
  isFailure(err: unknown): boolean;
  logger?: Logger;
}

export function createBreaker(o: BreakerOptions): Breaker {
  const breaker = circuitBreaker(
    handleWhen((err) => err instanceof TaskCancelledError || o.isFailure(err)),
    { halfOpenAfter: o.halfOpenMs, breaker: new ConsecutiveBreaker(o.failures) },
  );
  const policy = o.timeoutMs ? wrap(breaker, timeout(o.timeoutMs, TimeoutStrategy.Aggressive)) : breaker;
  let openedAt = 0;
  breaker.onBreak((reason) => {
    openedAt = Date.now();
    const err = 'error' in reason ? reason.error : undefined;
    o.logger?.error({ breaker: o.name, err }, 'circuit breaker open: calls fail at once until a trial call succeeds');
  });
  breaker.onHalfOpen(() => o.logger?.warn({ breaker: o.name }, 'circuit breaker half-open: one trial call'));
  breaker.onReset(() => o.logger?.warn({ breaker: o.name }, 'circuit breaker closed: the service answers again'));

  const unavailable = () =>
    new AppError(o.code, `${o.name} is unavailable (it failed ${o.failures} times in a row); retry later`, {
      retryAfterSeconds: Math.max(1, Math.ceil((openedAt + o.halfOpenMs - Date.now()) / 1000)),
    });

  return {
    name: o.name,
    state() {
      if (breaker.state === Cockatiel.Closed) return 'closed';
      return breaker.state === Cockatiel.HalfOpen ? 'half-open' : 'open';
    },
    async run(fn) {
      try {
        return await policy.execute((ctx) => fn((ctx as { signal: AbortSignal }).signal));
      } catch (err) {
        if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) throw unavailable();
        if (err instanceof TaskCancelledError) throw new AppError(o.code, `${o.name} did not answer within ${o.timeoutMs} ms`);
        throw err;
      }
    },
    assertAvailable() {
      if (breaker.state === Cockatiel.Open && Date.now() - openedAt < o.halfOpenMs) throw unavailable();
    },
  };
}
