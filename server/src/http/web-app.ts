import express, { type Router } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Paths never answered with the page: the API, missing assets (a 404, not HTML in place of a script), Socket.IO, probes, metrics. */
const NOT_THE_APP = /^\/(api|assets|socket\.io|healthz|readyz|metrics)(\/|$)/;

/**
 * The web app's content security policy: scripts and styles only from this
 * origin (React sets style attributes, hence 'unsafe-inline' for those),
 * media from blob: (camera previews), and connections to this origin plus the
 * Janus WebSocket addresses calls are given (clientUrl of each instance).
 */
export function webAppCsp(janusClientUrls: string[]): string {
  const janus = [...new Set(janusClientUrls.map((u) => safeOrigin(u)).filter((o): o is string => o !== null))];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    `connect-src 'self' ${janus.join(' ')}`.trim(),
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
export function webAppRoutes(dir: string | null, janusClientUrls: string[]): Router | null {
  if (!dir || !existsSync(join(dir, 'index.html'))) return null;
  const csp = webAppCsp(janusClientUrls);
  const router = express.Router();
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
