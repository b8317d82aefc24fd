/**
 * The one storage interface. Two drivers implement it: `pg` (a pool, cluster
 * mode) and PGlite (embedded). Stores write plain PostgreSQL that both accept.
 */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly driver: 'pg' | 'pglite';
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** int8 (bigint) and numeric come back as JS numbers; credits are integers far below 2^53. */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} is outside the safe integer range`);
  return n;
}

/** The fields both drivers' errors carry (pg's DatabaseError and PGlite's share them). */
export interface PgErrorFields {
  code?: string;
  constraint?: string;
  message: string;
  detail?: string;
}

export function pgError(err: unknown): PgErrorFields | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return err as PgErrorFields;
  }
  return undefined;
}
