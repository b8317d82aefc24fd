import type { Socket } from 'socket.io';
import type { z } from 'zod';
import {
  clientEventSchemas,
  type AckResponse,
  type ClientEventResults,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from '../../../shared/events.js';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError, DATA_EXCEPTION_LOG, isDataException, toAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { rateLimited } from '../ratelimit.js';
import { parse } from '../validate.js';

export type PairlySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export type Schemas = Record<string, z.ZodType>;

export type EventHandler<S extends Schemas, R, E extends keyof S & keyof R & string> = (
  socket: PairlySocket,
  payload: z.output<S[E]>,
) => Promise<R[E]>;

/** Rejected events a socket may pile up in a minute before it is disconnected as abusive. */
const MAX_REJECTIONS_PER_MINUTE = 200;

/**
 * The one path every client event goes through: per-socket and per-user rate limits, zod
 * validation against the schema in shared/, the service call, the ack.
 * Unknown events are answered with UNKNOWN_EVENT; an event sent without an
 * ack callback that fails gets a `system:error` push. Nothing is dropped
 * silently.
 */
export class EventRouter<S extends Schemas = typeof clientEventSchemas, R = ClientEventResults> {
  private readonly handlers = new Map<string, (socket: PairlySocket, payload: unknown) => Promise<object>>();
  private readonly budgets = new WeakMap<PairlySocket, SocketBudget>();
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(
    private readonly schemas: S,
    private readonly deps: {
      /**
       * Events one socket may send per window. Counted in the node's memory (a socket lives on one node):
       * no limiter record, promise or timer per socket and window.
       */
      perSocket: { points: number; windowMs: number };
      /** Shared by all of a user's sockets on all nodes (a SyncedLimiter in cluster mode). */
      userLimiter?: Pick<RateLimiterAbstract, 'consume'> | { consume(key: string): Promise<unknown> };
      logger: Logger;
      metrics: Metrics;
    },
  ) {}

  on<E extends keyof S & keyof R & string>(event: E, handler: EventHandler<S, R, E>): this {
    this.handlers.set(event, handler as (socket: PairlySocket, payload: unknown) => Promise<object>);
    return this;
  }

  attach(socket: PairlySocket): void {
    socket.onAny(this.onEvent);
  }

  /** Every socket's one listener (`this` is the socket): an idle socket carries no closure of its own. */
  private readonly onEvent = (() => {
    const router = this;
    return function (this: PairlySocket, event: unknown, ...args: unknown[]): void {
      router.received(this, event, args);
    };
  })();

  private received(socket: PairlySocket, event: unknown, args: unknown[]): void {
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as (r: AckResponse<object>) => void) : undefined;
    const name = typeof event === 'string' ? event : String(event);
    let budget = this.budgets.get(socket);
    if (!budget) this.budgets.set(socket, (budget = new SocketBudget()));
    this.inFlight++;
    this.dispatch(socket, name, args[0], ack, budget.take(this.deps.perSocket), budget)
      .catch((err) => this.deps.logger.error({ err, event: name }, 'event dispatch failed'))
      .finally(() => {
        if (--this.inFlight === 0) this.drained?.();
      });
  }

  /** Resolves when no event is being handled (graceful shutdown). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async dispatch(
    socket: PairlySocket,
    event: string,
    payload: unknown,
    ack: ((r: AckResponse<object>) => void) | undefined,
    socketRetryMs: number,
    budget: SocketBudget,
  ): Promise<void> {
    const handler = this.handlers.get(event);
    const label = handler ? event : 'unknown';
    let response: AckResponse<object>;
    try {
      if (socketRetryMs > 0) {
        throw new AppError('RATE_LIMITED', 'too many events; slow down', { retryAfterSeconds: Math.max(1, Math.ceil(socketRetryMs / 1000)) });
      }
      await this.deps.userLimiter?.consume(socket.data.userId).catch((err) => {
        throw rateLimited(err, 'too many events from this account; slow down');
      });
      if (!handler) throw new AppError('UNKNOWN_EVENT', `unknown event "${event.slice(0, 64)}"`);
      const input = parse(this.schemas[event]!, payload);
      response = { ok: true, ...(await handler(socket, input)) };
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.code === 'INTERNAL') this.deps.logger.error({ err, event: label }, 'event handler failed');
      // A client retrying through an outage is not abusive: only its own mistakes count.
      else if (appErr.code !== 'NOT_READY' && budget.rejected()) socket.disconnect(true);
      if (isDataException(err)) this.deps.logger.warn({ err, event: label }, DATA_EXCEPTION_LOG);
      response = { ok: false, error: appErr.toBody() };
    }
    this.deps.metrics.socketEvents.inc({ event: label, outcome: response.ok ? 'ok' : response.error.code });
    this.deps.metrics.served.count++;
    if (ack) ack(response);
    else if (!response.ok) socket.emit('system:error', { event: event.slice(0, 64), error: response.error });
  }
}

/**
 * One socket's counts: its events in the current window (a fixed window that starts at its first event,
 * as rate-limiter-flexible's memory limiter counts) and its rejected events in the current minute (a
 * flooding client is cut off instead of costing us forever). Checked on each event: no timer per socket.
 */
class SocketBudget {
  private events = 0;
  private eventsWindowEnd = 0;
  private rejections = 0;
  private rejectionsSince = Date.now();

  /** 0: the event is taken; otherwise the ms until the window ends. */
  take(limit: { points: number; windowMs: number }): number {
    const now = Date.now();
    if (now >= this.eventsWindowEnd) {
      this.eventsWindowEnd = now + limit.windowMs;
      this.events = 0;
    }
    return ++this.events > limit.points ? this.eventsWindowEnd - now : 0;
  }

  /** Counts a rejected event; true once the socket is over MAX_REJECTIONS_PER_MINUTE. */
  rejected(): boolean {
    const now = Date.now();
    if (now - this.rejectionsSince > 60_000) {
      this.rejectionsSince = now;
      this.rejections = 0;
    }
    return ++this.rejections > MAX_REJECTIONS_PER_MINUTE;
  }
}
