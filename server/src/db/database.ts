/**
 * The one storage interface. Two drivers implement it: `pg` (a pool, cluster
 * mode) and PGlite (embedded). Stores write plain PostgreSQL that both accept.
 */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** How one statement is sent. */
export interface QueryOptions {
  /**
   * A name to prepare the statement under, once per connection (pg): later runs skip PostgreSQL's parse
   * and analysis and may reuse its plan. Only for a hot statement whose text never changes (the values
   * vary, never the SQL); PGlite runs it as any other statement.
   */
  name?: string;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<T>>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface TransactionOptions {
  /**
   * Settings for this transaction only (`SET LOCAL name = value`), sent with its BEGIN in one round
   * trip (pg). Names and values are the code's own constants, never input.
   */
  local?: Record<string, string>;
}

/** `SET LOCAL` statements for TransactionOptions.local ('' for none). */
export function setLocal(local: Record<string, string> | undefined): string {
  return Object.entries(local ?? {})
    .map(([name, value]) => `SET LOCAL ${name} = ${value}`)
    .join('; ');
}

export interface Database extends Queryable {
  readonly driver: 'pg' | 'pglite';
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Where a read that tolerates lag goes (history pages, conversation lists, discover, feeds, search):
   * a streaming replica, unless `userId` wrote through this node within the read-your-writes window,
   * then the primary. Embedded mode and a deployment without replicas: the primary itself. Writes and
   * reads that must see a write (checks before a write, anything in a transaction) never use it.
   */
  reader(userId?: string): Queryable;
  /** `userId` just wrote: their reader() is the primary for the read-your-writes window. */
  wrote(userId: string): void;
  /** Each replica's health and lag as last checked (empty without replicas). */
  replicas(): ReplicaStatus[];
  close(): Promise<void>;
}

export interface ReplicaStatus {
  /** host:port/database, without credentials. */
  name: string;
  /** Serving reads: answered its last check, in recovery, and not further behind than the limit. */
  healthy: boolean;
  /** Replay lag: 0 when it has replayed up to the primary's position, else how long since a check last saw it caught up. Null while unknown. */
  lagMs: number | null;
  /** WAL bytes between the primary's current position and the replica's replay position. */
  lagBytes: number | null;
}

/** The reader side of a database that has no replicas: every read on the primary. */
export function primaryOnly(db: Omit<Database, 'reader' | 'wrote' | 'replicas'>): Database {
  const full: Database = Object.assign(db, { reader: () => full, wrote: () => undefined, replicas: () => [] });
  return full;
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
