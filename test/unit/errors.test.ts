import { describe, expect, it } from 'vitest';
import { isDataException, toAppError } from '../../server/src/errors.js';
import { PG_BASE_URL, pgQuery } from '../support/services.js';

/** The errors PostgreSQL itself raises for these statements (no database of our own is needed). */
async function pgErrorOf(sql: string, params: unknown[] = []): Promise<unknown> {
  return pgQuery(`${PG_BASE_URL}/postgres`, sql, params).then(
    () => {
      throw new Error(`${sql} did not fail`);
    },
    (err: unknown) => err,
  );
}

describe('the data-exception safety net', () => {
  it.each([
    ['22021 a NUL byte', 'SELECT $1::text', ['a\u0000b']],
    ['22P02 a malformed uuid', 'SELECT $1::uuid', ['------------------------------------']],
    ['22003 an integer past int4', 'SELECT $1::int', ['2147483648']],
    ['22008 a date outside the range', "SELECT '-271821-04-20T00:00:00Z'::timestamptz", []],
    ['22007 a malformed date', 'SELECT $1::date', ['2024-13-45x']],
  ])('maps %s to VALIDATION_FAILED', async (_what, sql, params) => {
    const err = await pgErrorOf(sql, params);
    expect(isDataException(err)).toBe(true);
    const app = toAppError(err);
    expect(app.code).toBe('VALIDATION_FAILED');
    expect(app.message).not.toMatch(/uuid|int|UTF8|date/i); // PostgreSQL's text stays in the logs
  });

  it('leaves every other database failure INTERNAL', async () => {
    expect(toAppError(await pgErrorOf('SELECT * FROM no_such_table')).code).toBe('INTERNAL');
    expect(toAppError(new Error('boom')).code).toBe('INTERNAL');
  });
});
