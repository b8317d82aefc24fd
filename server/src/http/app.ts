import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { errorHandler, notFound, requireJsonBody } from './errors.js';
import { limitByAddress } from './rate-limit.middleware.js';

const REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * The Express app: security headers, CORS allow-list, request ids and logs,
 * latency metrics, a per-address limit on /api, JSON bodies with a size
 * limit, the routers, then 404 and the one error body. Routers are mounted by the composition root.
 */
export function createHttpApp(opts: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /**
   * Per-address limit on every route under /api. Routes the composition
   * root mounts on `app` itself (health, metrics, provider webhooks) are
   * outside it, by design.
   */
  apiLimiter?: RateLimiterAbstract;
  mount: (app: Express, api: Router) => void;
  /** The web app (http/web-app.ts), after the API so API requests never touch the file system. */
  web?: Router | null;
}): Express {
  const { config, logger, metrics } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(config.trustProxy));
  app.set('etag', false);

  app.use(helmet());
  app.use(cors({ origin: config.corsOrigins, credentials: true, maxAge: 600 }));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Health probes and metrics scrapes would drown the log.
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
      // pino-http gives every 5xx line a made-up "failed with status code" error with a stack; the error
      // handler already logs real failures (INTERNAL) with their cause, and NOT_READY is not one.
      customErrorObject: (_req, _res, err, val) => (err.message.startsWith('failed with status code') ? { ...val, err: undefined } : val),
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0], ip: req.remoteAddress }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use((req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
      metrics.served.count++;
    });
    next();
  });

  const api = express.Router();
  if (opts.apiLimiter) api.use(limitByAddress(opts.apiLimiter));
  api.use(requireJsonBody);
  api.use(express.json({ limit: config.httpBodyLimit, strict: true }));
  opts.mount(app, api);
  app.use('/api', api);
  if (opts.web) app.use(opts.web);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}

function parseTrustProxy(v: string): boolean | number | string {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}
