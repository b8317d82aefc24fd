import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { isUnavailable } from './dependency-state.js';

export type { Logger };

/** Paths that must never reach a log line: secrets, tokens and card data. */
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  'card',
  '*.card',
];

export function createLogger(opts: { level: string; nodeId: string }, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    base: { node: opts.nodeId },
    redact: { paths: REDACT, censor: '[redacted]' },
    hooks: { logMethod: quietOutages },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * While PostgreSQL or Redis is down, every request and timer tick that needs
 * it fails with the same "could not connect": its DependencyState logs the
 * outage once when it starts and once when it ends, so lines whose error is
 * only that go to debug instead of repeating it (with a stack) each time.
 */
function quietOutages(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void, level: number): void {
  const first = args[0] as unknown;
  const err = first instanceof Error ? first : first && typeof first === 'object' ? (first as { err?: unknown }).err : undefined;
  if (level > 20 && isUnavailable(err)) {
    this.debug(...(args as [object, string]));
    return;
  }
  method.apply(this, args);
}
