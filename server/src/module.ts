import type { Router } from 'express';
import type { Guards } from './http/auth.middleware.js';
import type { RouteDoc } from './http/route-docs.js';
import type { JobHandlers, JobSchedule } from './jobs/jobs.js';
import type { Metrics } from './metrics.js';
import type { EventRouter } from './realtime/event-router.js';
import type { PairlyServer, SocketLifecycle } from './realtime/io.js';

export type { SocketLifecycle };

/**
 * What a module mounts; each `modules/<name>/<name>.module.ts` returns one
 * (plus the services other modules may use). A server node mounts all of
 * it (pairly.ts); the workers process runs only `jobs` and `schedules`.
 */
export interface Module {
  readonly name: string;
  /** Its REST routes, mounted under /api, given the guards built once from the auth service. */
  routes?(guards: Guards): Router;
  /** Mounted on the app itself: outside /api's per-address limit and JSON parser (provider webhooks, the control API). */
  publicRoutes?: Router;
  /** Its routes (both kinds) as published in /api/openapi.json, with full paths; a mounted route missing here fails test/integration/openapi.test.ts. */
  docs?: RouteDoc[];
  /** Registers its socket events on the node's event router. */
  events?(router: EventRouter): SocketLifecycle | void;
  jobs?: Partial<JobHandlers>;
  schedules?: JobSchedule[];
  /** On a server node, once Socket.IO is up (never in the workers process); stopped in reverse order on shutdown. */
  start?(node: { io: PairlyServer; metrics: Metrics }): Promise<void> | void;
  stop?(): Promise<void> | void;
}

/** A module factory's result: the Module, plus the services it lends to the modules built after it. */
export type ModuleWithServices = Module & Record<string, unknown>;
