#!/usr/bin/env node
/**
 * `npm run web:size [-- --dir DIR] [--json]`: what a first visit downloads
 * before the app can run: the entry script and the modules index.html
 * preloads, plus CSS, raw and gzipped (level 9, what nginx's gzip_comp_level
 * tops out at; a CDN's brotli would be smaller). Pages loaded on demand are
 * listed apart. Exits 1 when first-load JavaScript is over the budget
 * (250 KB gzipped, issue #10). DIR defaults to web/dist (npm run build:web).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

export const BUDGET_GZIP_BYTES = 250 * 1024;

const { values } = parseArgs({ options: { dir: { type: 'string', default: 'web/dist' }, json: { type: 'boolean', default: false } } });
const dir = resolve(values.dir);
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const firstLoad = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]));

const files = readdirSync(join(dir, 'assets'))
  .filter((f) => f.endsWith('.js') || f.endsWith('.css'))
  .map((f) => {
    const bytes = readFileSync(join(dir, 'assets', f));
    return { file: `assets/${f}`, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, first: firstLoad.has(`assets/${f}`) };
  })
  .sort((a, b) => Number(b.first) - Number(a.first) || b.gzip - a.gzip);

const sum = (list, k) => list.reduce((n, f) => n + f[k], 0);
const firstJs = files.filter((f) => f.first && f.file.endsWith('.js'));
const result = {
  firstLoadJsGzip: sum(firstJs, 'gzip'),
  firstLoadJsRaw: sum(firstJs, 'raw'),
  firstLoadCssGzip: sum(files.filter((f) => f.first && f.file.endsWith('.css')), 'gzip'),
  budgetGzip: BUDGET_GZIP_BYTES,
  files,
};

if (values.json) {
  console.log(JSON.stringify(result));
} else {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`${'file'.padEnd(44)} ${'load'.padEnd(10)} ${'raw'.padStart(10)} ${'gzip'.padStart(10)}`);
  for (const f of files) console.log(`${f.file.padEnd(44)} ${(f.first ? 'first' : 'on demand').padEnd(10)} ${kb(f.raw).padStart(10)} ${kb(f.gzip).padStart(10)}`);
  console.log(`first-load JavaScript: ${kb(result.firstLoadJsGzip)} gzipped (${kb(result.firstLoadJsRaw)} raw); budget ${kb(BUDGET_GZIP_BYTES)}`);
}
process.exit(result.firstLoadJsGzip > BUDGET_GZIP_BYTES ? 1 : 0);
