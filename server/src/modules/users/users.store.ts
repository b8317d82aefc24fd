import { pgError, type Queryable } from '../../db/database.js';
import { Batcher } from '../../batcher.js';
import type { PublicUser, Role } from '../../../../shared/auth.js';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  display_name: string;
  birthdate: string;
  role: Role;
  /** 'deleted': the owner closed it; gone to everyone at once, anonymised after ACCOUNT_ERASE_DELAY_HOURS. */
  status: 'active' | 'suspended' | 'deleted';
  /** The end of a suspension; null while suspended: a ban. */
  suspended_until: Date | null;
  suspension_reason: string | null;
  message_price: number;
  call_price_per_minute: number;
  created_at: Date;
  email_verified_at: Date | null;
  /** When its owner closed it (status 'deleted'); null otherwise. */
  deleted_at: Date | null;
}

const COLUMNS = `id, email, password_hash, display_name, to_char(birthdate, 'YYYY-MM-DD') AS birthdate, role, status, suspended_until, suspension_reason, message_price, call_price_per_minute, created_at, email_verified_at, deleted_at`;

export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    birthdate: row.birthdate,
    role: row.role,
    messagePrice: row.message_price,
    callPricePerMinute: row.call_price_per_minute,
    createdAt: row.created_at.toISOString(),
    emailVerified: row.email_verified_at !== null,
  };
}

export class UsersStore {
  /**
   * Going offline writes last_seen_at; a reconnect storm (a node restarts, a network blip) sends thousands
   * of those at once, so they are written together: one UPDATE per window instead of one per user.
   */
  private readonly lastSeen = new Batcher<{ id: string; at: Date }, void>(
    async (items) => {
      const latest = new Map<string, Date>();
      for (const i of items) {
        const seen = latest.get(i.id);
        if (!seen || seen < i.at) latest.set(i.id, i.at);
      }
      await this.db.query(
        `UPDATE users u SET last_seen_at = v.at FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, at) WHERE u.id = v.id`,
        [[...latest.keys()], [...latest.values()]],
      );
      return items.map(() => ({ ok: true as const, value: undefined }));
    },
    { windowMs: 10, maxItems: 500, maxConcurrent: 2 },
  );

  constructor(private readonly db: Queryable) {}

  /** Returns undefined when the email is taken (the unique index decides, not a racy pre-check). */
  async insert(u: {
    email: string;
    passwordHash: string;
    displayName: string;
    birthdate: string;
    role: Role;
    /** False for an account made through an OpenID provider: its random password is known to nobody. */
    passwordSet?: boolean;
  }): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(
      `INSERT INTO users (email, password_hash, display_name, birthdate, role, password_set)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (email) DO NOTHING
       RETURNING ${COLUMNS}`,
      [u.email, u.passwordHash, u.displayName, u.birthdate, u.role, u.passwordSet ?? true],
    );
    return rows[0];
  }

  /** A deleted account is no account: login and password reset treat its address as unknown. */
  async findByEmail(email: string): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE email = $1 AND status <> 'deleted'`, [email]);
    return rows[0];
  }

  async findById(id: string, q: Queryable = this.db): Promise<UserRow | undefined> {
    const { rows } = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Updates the account; with the prices it had just before (read under the row's lock, so concurrent changes each see their own). */
  async update(
    id: string,
    patch: { displayName?: string; messagePrice?: number; callPricePerMinute?: number },
  ): Promise<(UserRow & { old_message_price: number; old_call_price_per_minute: number }) | undefined> {
    const { rows } = await this.db.query<UserRow & { old_message_price: number; old_call_price_per_minute: number }>(
      `UPDATE users SET display_name = coalesce($2, display_name), message_price = coalesce($3, message_price),
         call_price_per_minute = coalesce($4, call_price_per_minute), updated_at = now()
       FROM (SELECT id AS old_id, message_price AS old_message_price, call_price_per_minute AS old_call_price_per_minute
             FROM users WHERE id = $1 FOR UPDATE) old
       WHERE id = old.old_id RETURNING ${COLUMNS}, old.old_message_price, old.old_call_price_per_minute`,
      [id, patch.displayName ?? null, patch.messagePrice ?? null, patch.callPricePerMinute ?? null],
    );
    return rows[0];
  }

  /** Marks the address verified, only while it is still the account's (a link mailed before a change proves nothing now). */
  async markEmailVerified(id: string, email: string, q: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await q.query(
      `UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1 AND email = $2`,
      [id, email],
    );
    return rowCount > 0;
  }

  async setPasswordHash(id: string, passwordHash: string, q: Queryable = this.db): Promise<void> {
    await q.query(`UPDATE users SET password_hash = $2, password_set = true, updated_at = now() WHERE id = $1`, [id, passwordHash]);
  }

  /** Whether the account can sign in with a password its owner chose (see password_set). */
  async hasPassword(id: string, q: Queryable = this.db): Promise<boolean> {
    const { rows } = await q.query<{ password_set: boolean }>(`SELECT password_set FROM users WHERE id = $1`, [id]);
    return rows[0]?.password_set ?? false;
  }

  /** Moves the account to an address both mailboxes confirmed (so it is verified); undefined when another account took it meanwhile. */
  async changeEmail(id: string, email: string, q: Queryable = this.db): Promise<UserRow | undefined> {
    try {
      const { rows } = await q.query<UserRow>(
        `UPDATE users SET email = $2, email_verified_at = now(), updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, email],
      );
      return rows[0];
    } catch (err) {
      if (pgError(err)?.code === '23505') return undefined;
      throw err;
    }
  }

  /** When the user was last online: presence records it as they go offline. */
  setLastSeen(id: string, at: Date): Promise<void> {
    return this.lastSeen.submit({ id, at });
  }

  /** Public fields of several users (names for lists). */
  async summaries(ids: string[]): Promise<{ id: string; display_name: string; role: string }[]> {
    const { rows } = await this.db.query<{ id: string; display_name: string; role: string }>(
      `SELECT id, display_name, role FROM users WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows;
  }

  /** Admins come only from the CLI: creates one, or promotes an existing account. */
  async upsertAdmin(u: { email: string; passwordHash: string; displayName: string; birthdate: string }): Promise<UserRow> {
    const { rows } = await this.db.query<UserRow>(
      `INSERT INTO users (email, password_hash, display_name, birthdate, role)
       VALUES ($1, $2, $3, $4, 'admin')
       ON CONFLICT (email) DO UPDATE SET role = 'admin', password_hash = EXCLUDED.password_hash, updated_at = now()
       RETURNING ${COLUMNS}`,
      [u.email, u.passwordHash, u.displayName, u.birthdate],
    );
    return rows[0]!;
  }

  /** Suspends (until a time; null: banned) or restores an account, in the caller's transaction. */
  async setStanding(q: Queryable, id: string, s: { suspendedUntil: Date | null; reason: string } | 'active'): Promise<UserRow | undefined> {
    const [status, until, reason] = s === 'active' ? ['active', null, null] : ['suspended', s.suspendedUntil, s.reason];
    const { rows } = await q.query<UserRow>(
      `UPDATE users SET status = $2, suspended_until = $3, suspension_reason = $4, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, status, until, reason],
    );
    return rows[0];
  }

  /** Ends a suspension whose time is up (login's check); false when it is not over or was lifted already. */
  async liftEnded(id: string): Promise<boolean> {
    const res = await this.db.query(
      `UPDATE users SET status = 'active', suspended_until = NULL, suspension_reason = NULL, updated_at = now()
       WHERE id = $1 AND status = 'suspended' AND suspended_until <= now()`,
      [id],
    );
    return res.rowCount > 0;
  }

  async setRole(q: Queryable, id: string, role: Role): Promise<UserRow | undefined> {
    const { rows } = await q.query<UserRow>(`UPDATE users SET role = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, role]);
    return rows[0];
  }

  /** Admin search: an exact id, or a part of the email or display name; newest first, by (created_at, id) cursor. */
  async search(f: { q: string; after?: { createdAt: Date; id: string }; limit: number }): Promise<UserRow[]> {
    const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(f.q);
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users
       WHERE ($1::uuid IS NULL OR id = $1::uuid)
         AND ($2 = '' OR email LIKE '%' || lower($2) || '%' OR lower(display_name) LIKE '%' || lower($2) || '%')
         AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $5`,
      [isId ? f.q : null, isId ? '' : f.q.replace(/[\\%_]/g, (c) => `\\${c}`), f.after?.createdAt ?? null, f.after?.id ?? null, f.limit],
    );
    return rows;
  }

  /**
   * Closes the account at the owner's request: gone to everyone from now on, its password unusable ('!' is
   * no argon2 hash), and its address free at once (a new sign-up with it must not hear "already taken" for
   * the days before the erase). Idempotent: a second request keeps the first one's time.
   */
  async markDeleted(id: string): Promise<Date | undefined> {
    const { rows } = await this.db.query<{ deleted_at: Date }>(
      `UPDATE users SET status = 'deleted', deleted_at = coalesce(deleted_at, now()), password_hash = '!',
         email = 'deleted-' || id || '@invalid', updated_at = now()
       WHERE id = $1 RETURNING deleted_at`,
      [id],
    );
    return rows[0]?.deleted_at;
  }

  /**
   * Anonymises a deleted account's row, which stays for the ledger, messages and matches that point at it.
   * The birthdate keeps only its year: enough for age statistics and an audit of the age rule, no longer a
   * date of birth. False when it is not deleted or was anonymised already.
   */
  async anonymise(id: string): Promise<boolean> {
    const res = await this.db.query(
      `UPDATE users SET display_name = 'Deleted user',
         birthdate = date_trunc('year', birthdate)::date, email_verified_at = NULL, suspension_reason = NULL,
         message_price = 0, call_price_per_minute = 0, erased_at = now(), updated_at = now()
       WHERE id = $1 AND status = 'deleted' AND erased_at IS NULL`,
      [id],
    );
    return res.rowCount > 0;
  }

  /** Deleted accounts whose delay is over and that are not anonymised yet (the sweep's repair). */
  async dueForErasure(deletedBefore: Date, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM users WHERE status = 'deleted' AND erased_at IS NULL AND deleted_at <= $1 ORDER BY deleted_at LIMIT $2`,
      [deletedBefore, limit],
    );
    return rows.map((r) => r.id);
  }
}
