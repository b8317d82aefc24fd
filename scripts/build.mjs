#!/usr/bin/env node
/**
 * `npm run build [-- --out-dir DIR]`: compiles server, workers, sfu and shared
 * (tsconfig.build.json) to DIR (default dist/), then copies beside the
 * compiled code the files that code reads at run time relative to
 * import.meta.url: the SQL migrations, the repeatable SQL (server/sql) and
 * every non-TypeScript file in the compiled folders (the Redis Lua scripts),
 * and builds the web app into DIR/web/dist.
 * dist/ mirrors the repository's layout, so `new URL('./lua/x.lua',
 * import.meta.url)`, the migrations' `../../migrations/` and `../../sql/`
 * resolve the same from a .js file as from its .ts source.
 *
 * DIR is emptied first: a migration or script deleted from the source must not
 * live on in an old build (a stale migration would be applied in production).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, 'tsconfig.build.json');
/** Asset folders outside the compiled ones, copied whole. */
const ASSET_DIRS = ['server/migrations', 'server/sql'];

const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: 'dist' } } });
const out = resolve(ROOT, values['out-dir']);
const up = relative(out, ROOT);
if (up === '' || !up.startsWith('..')) {
  // Emptying the repository, or a folder holding it, would delete the sources.
  console.error(`build: refusing --out-dir ${out}: it is or contains the repository`);
  process.exit(2);
}

rmSync(out, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', CONFIG, '--outDir', out], { cwd: ROOT, stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// The folders tsc compiled, read from tsconfig.build.json so the two cannot disagree.
const read = ts.readConfigFile(CONFIG, ts.sys.readFile);
if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
const sourceDirs = /** @type {string[]} */ (read.config.include);

let copied = 0;
for (const dir of ASSET_DIRS) {
  cpSync(join(ROOT, dir), join(out, dir), { recursive: true });
  copied += readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).length;
}
for (const dir of sourceDirs) {
  for (const file of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    if (!file.isFile() || file.name.endsWith('.ts')) continue;
    const from = join(file.parentPath ?? file.path, file.name); // parentPath: Node 20.12+
    cpSync(from, join(out, relative(ROOT, from)));
    copied++;
  }
}
// The web app, where the compiled config looks for it (WEB_DIR's default: web/dist beside the code).
const web = spawnSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), '--out-dir', join(out, 'web/dist')], { cwd: ROOT, stdio: 'inherit' });
if (web.status !== 0) process.exit(web.status ?? 1);
console.log(`build: compiled to ${out}, ${copied} run-time asset(s) copied, web app in ${join(out, 'web/dist')}`);
