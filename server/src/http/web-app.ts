import express, { type Router } from 'express';
import compression from 'compression';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Paths never answered with the page: the API, missing assets (a 404, not HTML in place of a script), Socket.IO, probes, metrics. */
const NOT_THE_APP = /^\/(api|assets|socket\.io|healthz|readyz|metrics)(\/|$)/;

/**
 * Razorpay Checkout's origins, as Razorpay lists them for CSP: checkout.js and
 * the scripts it loads, the payment frame, its telemetry and images. Allowed
 * only when Razorpay is configured: the wallet loads checkout.js only then.
 */
const RAZORPAY = {
  script: ['https://checkout.razorpay.com', 'https://cdn.razorpay.com'],
  frame: ['https://api.razorpay.com'],
  connect: ['https://lumberjack.razorpay.com', 'https://lumberjack-metrics.razorpay.com'],
  img: ['https://cdn.razorpay.com'],
};

export interface WebAppCspOptions {
  /** Razorpay is a configured payment provider (its Checkout runs in the page). */
  razorpay?: boolean;
  /** Where media is uploaded to and read from when not this origin (the S3 bucket's origins). */
  media?: string[];
}

/**
 * The web app's content security policy: scripts and styles only from this
 * origin (React sets style attributes, hence 'unsafe-inline' for those),
 * media from blob: (camera previews), and connections to this origin plus the
 * Janus WebSocket addresses calls are given (clientUrl of each instance);
 * photos and videos from this origin or the S3 bucket (uploads go straight to
 * it: connect-src too); with Razorpay configured, its Checkout's origins too. Stripe needs nothing:
 * the wallet leaves for Stripe Checkout's page by top-level navigation
 * (location.assign, a link), which no directive here governs (form-action
 * covers form submissions, and navigate-to never shipped in browsers), and no
 * script, frame or request of Stripe's runs in the page.
 */
export function webAppCsp(janusClientUrls: string[], opts: WebAppCspOptions = {}): string {
  const janus = [...new Set(janusClientUrls.map((u) => safeOrigin(u)).filter((o): o is string => o !== null))];
  const rzp = opts.razorpay ? RAZORPAY : { script: [], frame: [], connect: [], img: [] };
  const media = [...new Set((opts.media ?? []).map((u) => safeOrigin(u)).filter((o): o is string => o !== null))];
  const list = (...items: string[]) => items.join(' ');
  return [
    "default-src 'self'",
    list("script-src 'self'", ...rzp.script),
    "style-src 'self' 'unsafe-inline'",
    list("img-src 'self' data: blob:", ...media, ...rzp.img),
    list("media-src 'self' blob:", ...media),
    list("connect-src 'self'", ...janus, ...media, ...rzp.connect),
    ...(rzp.frame.length ? [list('frame-src', ...rzp.frame)] : []),
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function safeOrigin(url: string): string | null {
  try {
    const u = new URL(url);
    return /^(wss?|https?):$/.test(u.protocol) ? `${u.protocol}//${u.host}` : null;
  } catch {
    return null;
  }
}

/**
 * Serves the built web app (web/dist): hashed assets cached for a year,
 * index.html never cached, and index.html for every other GET that asks for
 * a page, so the client router owns its paths (a reload of /chats/… works).
 * Returns null when the folder has no index.html (not built) or is null (WEB_DIR=off).
 */
export function webAppRoutes(dir: string | null, janusClientUrls: string[], cspOptions: WebAppCspOptions = {}): Router | null {
  if (!dir || !existsSync(join(dir, 'index.html'))) return null;
  const csp = webAppCsp(janusClientUrls, cspOptions);
  const router = express.Router();
  // The app's files only (the API answers small JSON, and Socket.IO is not HTTP bodies): gzip as nginx does in the production shape.
  router.use(compression());
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d' }),
  );
  router.use(
    express.static(dir, {
      index: false,
      maxAge: 0,
      setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
    }),
  );
  router.get(/.*/, (req, res, next) => {
    if (NOT_THE_APP.test(req.path) || !req.accepts('html')) return next();
    res.setHeader('content-security-policy', csp);
    res.setHeader('cache-control', 'no-cache');
    // root: the folder itself may sit under a dot folder (.tmp), which send() refuses in a full path.
    res.sendFile('index.html', { root: dir });
  });
  return router;
}
