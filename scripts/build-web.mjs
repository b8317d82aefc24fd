#!/usr/bin/env node
/**
 * Builds the web app (web/ → web/dist) with Vite.
 *
 *   node scripts/build-web.mjs              build now
 *   node scripts/build-web.mjs --if-stale   build only when web/dist is missing or older than
 *                                           a source (web/src, web/index.html, web/public,
 *                                           web/vite.config.ts, shared/): `npm start` runs this first
 *
 * A fresh clone's first `npm start` builds it in a few seconds; later starts skip it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const OUT = join(WEB, 'dist', 'index.html');
const SOURCES = [join(WEB, 'src'), join(WEB, 'public'), join(WEB, 'index.html'), join(WEB, 'vite.config.ts'), join(ROOT, 'shared')];

const { values } = parseArgs({ options: { 'if-stale': { type: 'boolean', default: false }, 'out-dir': { type: 'string' } } });

function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const f of readdirSync(path, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) max = Math.max(max, statSync(join(f.parentPath ?? f.path, f.name)).mtimeMs);
  }
  return max;
}

if (values['if-stale'] && existsSync(OUT)) {
  const built = statSync(OUT).mtimeMs;
  if (SOURCES.every((p) => newest(p) <= built)) process.exit(0);
}

// A production build whatever the caller's NODE_ENV (vitest's global set-up runs with NODE_ENV=test,
// which would otherwise give React's development build).
process.env.NODE_ENV = 'production';
const started = Date.now();
process.stdout.write('[web] building the web app (vite)…\n');
const { build } = await import('vite');
await build({
  configFile: join(WEB, 'vite.config.ts'),
  mode: 'production',
  logLevel: 'warn',
  // Relative to where the command runs (Vite would take it relative to web/).
  build: values['out-dir'] ? { outDir: resolve(values['out-dir']), emptyOutDir: true } : undefined,
});
process.stdout.write(`[web] built in ${((Date.now() - started) / 1000).toFixed(1)} s → ${values['out-dir'] ?? 'web/dist'}\n`);
