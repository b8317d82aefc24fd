// npm's postinstall: the upstream fix for PGlite's spin after a backend crash, applied to the installed copy.
//
// PGlite (0.4 to at least 0.5.17) runs each protocol message in a loop that swallows every exception but the
// backend's longjmp: when the WebAssembly backend dies instead (a RuntimeError such as "null function or
// function signature mismatch", or an ExitStatus), the loop calls it again, it throws again, and the event
// loop never runs again (100% CPU, SIGTERM ignored). Reported upstream as electric-sql/pglite#1058; the fix
// (pull request #1097, not yet released) rethrows anything else and guards the clean-up calls. Pairly met it
// in embedded mode: a crash in a trigram search left the server spinning. With the fix the query rejects,
// and server/src/db/pglite.ts opens the database again.
//
// A plain replacement rather than patch-package: the file is minified onto a few lines, so a diff of it is
// half a megabyte for a one-clause change. Exact text, checked: a PGlite that no longer has it (fixed
// upstream, or changed) makes this say so, and the install goes on.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SWALLOW =
  'catch(a){_.stackRestore(n),a.status===this.POSTGRES_MAIN_LONGJMP&&_._PostgresMainLongJmp()}}}finally{_._PostgresSendReadyForQueryIfNecessary(),_._pgl_pq_flush()}';
const RETHROW =
  'catch(a){if(_.stackRestore(n),a.status!==this.POSTGRES_MAIN_LONGJMP)throw a;_._PostgresMainLongJmp()}}}finally{try{_._PostgresSendReadyForQueryIfNecessary(),_._pgl_pq_flush()}catch{}}';

const dist = fileURLToPath(new URL('../node_modules/@electric-sql/pglite/dist/', import.meta.url));
if (!existsSync(dist)) process.exit(0); // not installed (a partial install): nothing to patch

let patched = 0;
let already = 0;
for (const name of readdirSync(dist).filter((f) => f.endsWith('.js'))) {
  const file = join(dist, name);
  const text = readFileSync(file, 'utf8');
  if (text.includes(RETHROW)) already++;
  if (!text.includes(SWALLOW)) continue;
  writeFileSync(file, text.split(SWALLOW).join(RETHROW));
  patched++;
}
if (patched + already === 0) console.warn('[patch-pglite] the protocol loop was not found: check whether PGlite fixed electric-sql/pglite#1058 (this patch is then to be removed)');
else if (patched) console.log(`[patch-pglite] PGlite's protocol loop rethrows backend crashes (${patched} file${patched > 1 ? 's' : ''})`);
