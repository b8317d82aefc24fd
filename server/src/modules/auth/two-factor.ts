import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { TwoFactorSetup, TwoFactorStatus } from '../../../../shared/auth.js';
import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { rateLimited } from '../../ratelimit.js';
import type { AuditService } from '../audit/audit.service.js';

/** What proves the second factor: a code from the app, or one of the recovery codes. */
export type SecondFactor = { code: string; recoveryCode?: undefined } | { recoveryCode: string; code?: undefined };

const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** Codes of the step before and after are accepted too (clocks drift; a code typed at a step's end). */
const WINDOW = 1;
const RECOVERY_CODES = 10;

/**
 * Two-factor sign-in: TOTP (RFC 6238) through an authenticator app, with the
 * `otpauth` library, and hashed single-use recovery codes.
 *
 *   setup   ──► a new secret, stored encrypted with enabled_at NULL; the app scans its QR code
 *   enable  ──► a code from the app confirms it: on, and ten recovery codes shown once
 *   verify  ──► a code (each good once: the step is recorded) or an unused recovery code
 *   disable ──► password and a code: off, recovery codes deleted
 *
 * Guessing is bounded per user (TWO_FACTOR_MAX_FAILURES per window): a point is
 * taken before a code is judged and given back when it is right, so parallel
 * guesses cannot all pass a check made before any of them is counted.
 */
export class TwoFactorService {
  private readonly key: Buffer;

  constructor(
    private readonly d: {
      db: Database;
      /** The server's secret (JWT_SECRET): the key that encrypts TOTP secrets is derived from it. */
      secret: string;
      /** The name authenticator apps show. */
      issuer: string;
      failures: RateLimiterAbstract;
      audit: AuditService;
      now?: () => number;
    },
  ) {
    this.key = Buffer.from(hkdfSync('sha256', d.secret, 'pairly', 'totp-secret', 32));
  }

  async status(userId: string): Promise<TwoFactorStatus> {
    const { rows } = await this.d.db.query<{ enabled_at: Date | null; left: number }>(
      `SELECT t.enabled_at, (SELECT count(*)::int FROM user_recovery_codes c WHERE c.user_id = t.user_id AND c.used_at IS NULL) AS left
       FROM user_totp t WHERE t.user_id = $1`,
      [userId],
    );
    const r = rows[0];
    return r?.enabled_at ? { enabled: true, enabledAt: r.enabled_at.toISOString(), recoveryCodesLeft: r.left } : { enabled: false, enabledAt: null, recoveryCodesLeft: 0 };
  }

  async isEnabled(userId: string, q: Queryable = this.d.db): Promise<boolean> {
    const { rows } = await q.query(`SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL`, [userId]);
    return rows.length > 0;
  }

  /** Begins (or begins again) an enrolment with a fresh secret. TWO_FACTOR_ALREADY_ENABLED when it is on. */
  async setup(userId: string, accountName: string): Promise<TwoFactorSetup> {
    const secret = new OTPAuth.Secret({ size: 20 });
    const { rowCount } = await this.d.db.query(
      `INSERT INTO user_totp (user_id, secret_enc) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret_enc = EXCLUDED.secret_enc, last_step = NULL, created_at = now() WHERE user_totp.enabled_at IS NULL`,
      [userId, this.seal(secret.base32)],
    );
    if (rowCount === 0) throw new AppError('TWO_FACTOR_ALREADY_ENABLED', 'two-factor sign-in is already on; turn it off first to use another app');
    const otpauthUrl = this.totp(secret.base32, accountName).toString();
    return { secret: secret.base32, otpauthUrl, qrSvg: await QRCode.toString(otpauthUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) };
  }

  /** Confirms the enrolment with a code from the app; returns the recovery codes (shown once, stored hashed). */
  async enable(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.guarded(userId, async () => {
      return this.d.db.transaction(async (tx) => {
        const { rows } = await tx.query<{ secret_enc: string; enabled_at: Date | null }>(`SELECT secret_enc, enabled_at FROM user_totp WHERE user_id = $1 FOR UPDATE`, [userId]);
        const row = rows[0];
        if (!row) throw new AppError('TWO_FACTOR_NOT_ENABLED', 'begin the set-up first (POST /api/auth/2fa/setup)');
        if (row.enabled_at) throw new AppError('TWO_FACTOR_ALREADY_ENABLED', 'two-factor sign-in is already on');
        const step = this.stepOf(row.secret_enc, code);
        if (step === undefined) return false;
        await tx.query(`UPDATE user_totp SET enabled_at = now(), last_step = $2 WHERE user_id = $1`, [userId, step]);
        await tx.query(`DELETE FROM user_recovery_codes WHERE user_id = $1`, [userId]);
        await tx.query(`INSERT INTO user_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])`, [userId, codes.map(hashRecoveryCode)]);
        await this.d.audit.recordIn(tx, { key: `2fa_enabled:${userId}:${step}`, actorId: userId, action: 'auth.2fa_enabled', ip: null });
        return true;
      });
    });
    return { recoveryCodes: codes };
  }

  /** Checks a second factor of a user who has it on (TWO_FACTOR_NOT_ENABLED otherwise); TWO_FACTOR_INVALID when wrong or used. */
  async verify(userId: string, f: SecondFactor): Promise<void> {
    await this.guarded(userId, async () => {
      const { rows } = await this.d.db.query<{ secret_enc: string }>(`SELECT secret_enc FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL`, [userId]);
      if (!rows[0]) throw new AppError('TWO_FACTOR_NOT_ENABLED', 'two-factor sign-in is not on for this account');
      if (f.recoveryCode !== undefined) {
        const used = await this.d.db.query(
          `UPDATE user_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
          [userId, hashRecoveryCode(f.recoveryCode)],
        );
        if (used.rowCount === 0) return false;
        this.d.audit.record({ key: `2fa_recovery_used:${userId}:${hashRecoveryCode(f.recoveryCode).slice(0, 16)}`, actorId: userId, action: 'auth.2fa_recovery_code_used', ip: null });
        return true;
      }
      const step = this.stepOf(rows[0].secret_enc, f.code);
      if (step === undefined) return false;
      // Once per step: a code seen (or replayed) again within its window is refused.
      const taken = await this.d.db.query(`UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)`, [userId, step]);
      return taken.rowCount > 0;
    });
  }

  /** Turns it off after the password (checked by the caller) and a second factor. */
  async disable(userId: string, f: SecondFactor): Promise<void> {
    await this.verify(userId, f);
    await this.d.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM user_recovery_codes WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM user_totp WHERE user_id = $1`, [userId]);
      await this.d.audit.recordIn(tx, { key: `2fa_disabled:${userId}:${Date.now()}`, actorId: userId, action: 'auth.2fa_disabled', ip: null });
    });
  }

  /** Forgets the secret and recovery codes of an account being erased (its owner proved them when asking). */
  async forget(userId: string): Promise<void> {
    await this.d.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM user_recovery_codes WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM user_totp WHERE user_id = $1`, [userId]);
    });
  }

  /** Records that this session (of this user) proved the second factor just now. */
  async markSession(sessionId: string, userId: string): Promise<void> {
    await this.d.db.query(`UPDATE sessions SET second_factor_at = now() WHERE id = $1 AND user_id = $2`, [sessionId, userId]);
  }

  /** A step-up: a code (or a recovery code) proves the second factor again on the session that sends it. */
  async stepUp(p: { userId: string; sessionId: string }, f: SecondFactor): Promise<void> {
    await this.verify(p.userId, f);
    await this.markSession(p.sessionId, p.userId);
    this.d.audit.record({ key: `2fa_step_up:${p.sessionId}:${Date.now()}`, actorId: p.userId, action: 'auth.2fa_step_up', ip: null, meta: { sessionId: p.sessionId } });
  }

  /**
   * Refuses a session that has not proved a second factor: TWO_FACTOR_SETUP_REQUIRED when the account
   * has none, STEP_UP_REQUIRED when this session has not passed it (or not within `maxAgeSeconds`).
   * What admins need for anything, and creators for moving money out.
   */
  async requireForSession(p: { userId: string; sessionId: string }, maxAgeSeconds?: number): Promise<void> {
    const { rows } = await this.d.db.query<{ enrolled: boolean; age: number | null }>(
      `SELECT EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = $2 AND t.enabled_at IS NOT NULL) AS enrolled,
              (SELECT extract(epoch FROM now() - s.second_factor_at)::float8 FROM sessions s WHERE s.id = $1 AND s.user_id = $2) AS age`,
      [p.sessionId, p.userId],
    );
    const r = rows[0]!;
    if (!r.enrolled) throw new AppError('TWO_FACTOR_SETUP_REQUIRED', 'turn on two-factor sign-in first (Settings)');
    if (r.age === null || (maxAgeSeconds !== undefined && r.age > maxAgeSeconds)) {
      throw new AppError('STEP_UP_REQUIRED', 'confirm with a code from your authenticator app', { details: { maxAgeSeconds: maxAgeSeconds ?? null } });
    }
  }

  /** Runs a check that answers whether the factor was right, under the per-user failure limit. */
  private async guarded(userId: string, check: () => Promise<boolean>): Promise<void> {
    await this.d.failures.consume(userId).catch((err: unknown) => {
      throw rateLimited(err, 'too many wrong codes; try again later');
    });
    let ok: boolean;
    try {
      ok = await check();
    } catch (err) {
      await this.d.failures.reward(userId, 1).catch(() => undefined); // not a guess: a state error
      throw err;
    }
    if (!ok) throw new AppError('TWO_FACTOR_INVALID', 'that code is not right, or it was used already');
    await this.d.failures.reward(userId, 1).catch(() => undefined);
  }

  private totp(base32: string, label = 'Pairly'): OTPAuth.TOTP {
    return new OTPAuth.TOTP({ issuer: this.d.issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, secret: OTPAuth.Secret.fromBase32(base32) });
  }

  /** The 30-second step the code belongs to, or undefined when it fits none of the window's. */
  private stepOf(secretEnc: string, code: string): number | undefined {
    const now = this.d.now?.() ?? Date.now();
    const delta = this.totp(this.open(secretEnc)).validate({ token: code, timestamp: now, window: WINDOW });
    return delta === null ? undefined : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
  }

  /** AES-256-GCM: iv.tag.ciphertext, base64url. */
  private seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return [iv, c.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  private open(sealed: string): string {
    const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
    const d = createDecipheriv('aes-256-gcm', this.key, iv!);
    d.setAuthTag(tag!);
    return Buffer.concat([d.update(body!), d.final()]).toString('utf8');
  }
}

/** `xxxxx-xxxxx`, base32 (no look-alike digits 0/1/8/9): 50 bits. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => alphabet[b & 31]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.toLowerCase().replace(/[\s-]/g, '')).digest('hex');
}
