import type { Logger } from './logger.js';

/**
 * Whether a dependency (PostgreSQL, Redis) is reachable, as its clients see
 * it. An outage is logged twice: once when it starts and once when it ends,
 * never on every request that fails during it (those answer NOT_READY, see
 * errors.ts). A dependency with several connections (Redis: commands,
 * publish, subscribe) is down while any of them is, and back when all are.
 */
export class DependencyState {
  /** Each connection that is down, with what brought it down. */
  private readonly downSources = new Map<string, string>();
  private downSince = 0;
  private readonly backListeners: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly logger: Logger,
  ) {}

  get isDown(): boolean {
    return this.downSources.size > 0;
  }

  down(err: unknown, source: string = this.name): void {
    if (this.downSources.has(source)) return;
    const first = !this.isDown;
    this.downSources.set(source, describe(err));
    if (!first) return;
    this.downSince = Date.now();
    // No stack: where a connection failed is never the interesting part; what failed is.
    this.logger.error({ dependency: this.name, source, cause: describe(err) }, 'dependency down');
  }

  up(source: string = this.name): void {
    if (!this.downSources.delete(source) || this.isDown) return;
    this.logger.info({ dependency: this.name, downMs: Date.now() - this.downSince }, 'dependency back');
    for (const fn of this.backListeners) fn();
  }

  /** Called each time the dependency comes back (to rebuild what lived in it). */
  onBack(fn: () => void): void {
    this.backListeners.push(fn);
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return code && !err.message.includes(String(code)) ? `${String(code)}: ${err.message}` : err.message;
}

/** Socket-level failures: the peer is not there (refused, reset, unreachable, unresolvable). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * PostgreSQL SQLSTATEs meaning "the server cannot serve you now": connection
 * exceptions (class 08), shutting down or starting up (57P01-57P03), out of
 * connection slots (53300).
 */
const PG_UNAVAILABLE = /^(08...|57P0[123]|53300)$/;

/** ioredis and pg failures that carry no code, recognised by their (stable) messages. */
const UNAVAILABLE_MESSAGES = [
  // ioredis: offline queue disabled, command timeout, connection closed, retries exhausted.
  "Stream isn't writeable",
  'Command timed out',
  'Connection is closed.',
  'Reached the max retries per request limit',
  // pg and pg-pool: a connection lost, or none to be had in time.
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/**
 * True when an error says "a dependency could not be reached", not "this
 * request is wrong": such errors answer NOT_READY, and are not logged per
 * request (the dependency's DependencyState logs the outage).
 */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_UNAVAILABLE.test(code))) return true;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return UNAVAILABLE_MESSAGES.some((m) => err.message.startsWith(m));
}

/** The pool had no free connection in time: the database is busy, not gone. */
export function isPoolExhausted(err: unknown): boolean {
  return err instanceof Error && err.message === 'timeout exceeded when trying to connect';
}
