import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { instrument, RedisStore } from '@socket.io/admin-ui';
import type * as BullBoardApi from '@bull-board/api';
import type * as BullBoardBullMQ from '@bull-board/api/bullMQAdapter';
import type * as BullBoardExpress from '@bull-board/express';
import express, { Router, type Request, type RequestHandler } from 'express';
import type { RedisClient } from '../../redis.js';
import type { Server } from 'socket.io';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { requirePackage } from '../../lazy.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import type { Authenticator, Principal } from '../../principal.js';
import type { DeadLettersService } from '../dead-letters/dead-letters.service.js';
import type { LedgerService } from '../ledger/ledger.service.js';
import type { PaymentsService } from '../payments/payments.service.js';
import { consoleRouteDocs, consoleRoutes, CONSOLE_COOKIE } from './consoles.routes.js';
import { registerOpsMetrics } from './consoles.metrics.js';
import { countSocketAdminEvents } from './socket-admin-counts.js';

/** Where the consoles live (outside /api: they are browser apps of their own). */
export const QUEUES_PATH = '/admin/queues';
export const SOCKETS_PATH = '/admin/sockets';
/** The Socket.IO admin UI's namespace (the app's own /admin namespace is the live presence view). */
export const SOCKET_ADMIN_NAMESPACE = '/socket-admin';

/**
 * The operators' consoles (issue #14): BullMQ's queues through bull-board at /admin/queues, Socket.IO through
 * @socket.io/admin-ui at /admin/sockets (its namespace /socket-admin), both for admins whose session proved a
 * second factor. A browser opens them with a cookie the web app's admin page gets from
 * POST /api/admin/consoles/session (the access token, HttpOnly, SameSite=Strict, until the token expires);
 * the consoles check it as the API checks a bearer token, on every request and socket. Also the operations
 * metrics on /metrics: queues, payments, dead letters and the ledger's verification (consoles.metrics.ts).
 */
export function consolesModule(d: {
  config: Config;
  logger: Logger;
  auth: Authenticator;
  jobs: JobQueue;
  redis?: RedisClient;
  deadLetters: DeadLettersService;
  payments: PaymentsService;
  ledger: LedgerService;
}) {
  const secureCookie = new URL(d.config.publicUrl).protocol === 'https:';
  const queues = d.jobs.bullQueues();

  /** The console cookie's session, as the API's guards check a bearer token: valid, unrevoked, admin, second factor. */
  const adminOf = async (cookieHeader: string | undefined): Promise<Principal> => {
    const token = cookieOf(cookieHeader, CONSOLE_COOKIE);
    if (!token) throw new AppError('UNAUTHENTICATED', 'open the consoles from the admin pages (no console session)');
    const p = await d.auth.authenticate(token);
    if (p.role !== 'admin') throw new AppError('FORBIDDEN', 'you may not do this');
    await d.auth.requireSecondFactor(p);
    return p;
  };
  const requireConsole: RequestHandler = async (req: Request, _res, next) => {
    await adminOf(req.headers.cookie);
    next();
  };

  const publicRoutes = Router();
  if (queues.length > 0) {
    // Loaded only where there are queues to show (cluster mode): an embedded server does not carry bull-board.
    const { createBullBoard } = requirePackage<typeof BullBoardApi>('@bull-board/api');
    const { BullMQAdapter } = requirePackage<typeof BullBoardBullMQ>('@bull-board/api/bullMQAdapter');
    const { ExpressAdapter } = requirePackage<typeof BullBoardExpress>('@bull-board/express');
    const board = new ExpressAdapter();
    board.setBasePath(QUEUES_PATH);
    createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: board, options: { uiConfig: { boardTitle: 'Pairly queues' } } });
    publicRoutes.use(QUEUES_PATH, requireConsole, board.getRouter());
  } else {
    // Embedded mode: jobs run in-process (no queue to show); said plainly rather than an empty board.
    publicRoutes.use(QUEUES_PATH, requireConsole, () => {
      throw new AppError('NOT_FOUND', 'jobs run in-process in embedded mode: there are no queues to show');
    });
  }
  if (d.config.consoles.socketUi) {
    publicRoutes.use(SOCKETS_PATH, requireConsole, (_req, res, next) => {
      // The UI's stylesheets and icon font come from Google Fonts and jsDelivr; everything else is same-origin.
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'self'; style-src 'self' 'unsafe-inline' https://fonts.googleapis.com https://cdn.jsdelivr.net; font-src 'self' data: https://fonts.gstatic.com https://cdn.jsdelivr.net; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
      );
      next();
    }, express.static(adminUiDir(), { index: 'index.html', maxAge: '1h' }));
  }

  let stopMetrics: (() => void) | undefined;
  return {
    name: 'consoles',
    routes: (guards) => Router().use('/admin/consoles', consoleRoutes(guards, { secureCookie, queues: queues.length > 0, sockets: d.config.consoles.socketUi })),
    publicRoutes,
    docs: mountedAt('/api/admin/consoles', consoleRouteDocs, 'admin'),
    start({ io, metrics }) {
      stopMetrics = registerOpsMetrics(metrics.registry, { jobs: d.jobs, deadLetters: d.deadLetters, payments: d.payments, ledger: d.ledger, logger: d.logger, dbCacheMs: d.config.metricsDbCacheSeconds * 1000 });
      if (!d.config.consoles.socketUi) return;
      const server = io as unknown as Server;
      // admin-ui's per-second counts, with listeners shared by every connection (socket-admin-counts.ts).
      countSocketAdminEvents(server, () =>
        instrument(server, {
          namespaceName: SOCKET_ADMIN_NAMESPACE,
          // Authentication is ours (below): the console cookie, checked like every admin request.
          auth: false,
          // No per-socket event tracking: the dashboard's counts without a cost on every client event.
          mode: 'production',
          serverId: d.config.nodeId,
          ...(d.redis ? { store: new RedisStore(d.redis) } : {}),
        }),
      );
      server.of(SOCKET_ADMIN_NAMESPACE).use((socket, next) => {
        adminOf(socket.handshake.headers.cookie).then(
          () => next(),
          (err: unknown) => next(Object.assign(new Error(err instanceof AppError ? err.code : 'FORBIDDEN'), { data: { code: err instanceof AppError ? err.code : 'FORBIDDEN' } })),
        );
      });
    },
    stop() {
      stopMetrics?.();
    },
  } satisfies ModuleWithServices;
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  const pair = header?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${name}=`));
  const value = pair?.slice(name.length + 1);
  return value ? value : undefined;
}

/** The admin UI's built files, shipped inside its npm package (ui/dist). */
function adminUiDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@socket.io/admin-ui/package.json')), 'ui', 'dist');
}
