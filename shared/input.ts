import { z } from 'zod';

/**
 * Building blocks every schema in shared/ uses for what ends up in
 * PostgreSQL, so that the database never sees a value it refuses (it would
 * answer with an error the server could only call INTERNAL).
 */

/** PostgreSQL's `integer` (int4), the type of small serial ids such as question ids. */
export const INT4_MAX = 2_147_483_647;

// NUL: PostgreSQL's text and jsonb refuse it. Unpaired UTF-16 surrogates: not valid UTF-8, so they
// would be silently replaced by U+FFFD on the way in (and a jsonb `\ud800` escape is refused outright).
const UNSTORABLE = /[\u0000\p{Cs}]/u;

/**
 * A string PostgreSQL can store as given: no NUL character and no unpaired
 * surrogate. Chain the usual checks after it: `text().trim().min(1).max(50)`.
 */
export function text() {
  return z.string().refine((s) => !UNSTORABLE.test(s), 'must not contain NUL or unpaired surrogate characters');
}

/** What a search box sends: words, a handle or a name, typos allowed. */
export const searchText = text().trim().min(1, 'type something to search for').max(100);

/** The deepest a search pages (its cursor is an offset): relevance past this is noise, and deep offsets cost. */
export const SEARCH_MAX_OFFSET = 1000;

/** A positive int4 id from a path segment (`/questions/:id`): decimal digits only, at most INT4_MAX. */
export const int4Id = z
  .string()
  .regex(/^[0-9]{1,10}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(z.number().int().min(1).max(INT4_MAX));

/**
 * An ISO 8601 UTC timestamp (`...Z`, any fraction) that PostgreSQL's
 * timestamptz takes as text: it has no year 0000 (ISO's 1 BC). For values
 * passed on as text, which keeps microseconds a JavaScript Date would round.
 */
export function isoTimestamp() {
  return z.iso.datetime().refine((v) => !v.startsWith('0000'), 'year 0000 is not a date PostgreSQL takes');
}
