import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR, REPEATABLE_SQL_DIR } from '../../server/src/db/migrate.js';
import { ROOT } from '../support/pairly.js';

/**
 * Each table has one owner: a module's SQL names only its own tables, and
 * other modules go through the owner's service, or read what the owner
 * publishes in server/sql/<owner>/: a view (users' user_cards) or a function
 * (safety's blocked_either_way). There is no list of exceptions: a read of
 * another module's table fails here, however good the reason; publish a view.
 *
 * The check reads every .ts file of server/src/modules/<module>/ and every
 * repeatable SQL file of server/sql/<module>/, takes the names after each
 * uppercase FROM / JOIN / USING / INSERT INTO / UPDATE / DELETE FROM, every
 * item of a comma list included (`FROM me, profiles p`); SQL keywords are
 * uppercase here, and prose in comments says "from" in lower case. It keeps
 * the names the migrations create (CTE names, views and functions drop out),
 * and compares each with OWNERS. A published view or function is held to the same rule: its
 * file in server/sql/<owner>/ may name only that owner's tables.
 */
const OWNERS: Record<string, string[]> = {
  auth: ['sessions', 'refresh_tokens', 'user_totp', 'user_recovery_codes', 'account_tokens', 'email_changes', 'user_identities', 'oidc_tickets'],
  users: ['users'],
  audit: ['audit_log'],
  ledger: ['ledger_accounts', 'ledger_chains', 'ledger_transfers', 'ledger_verifications'],
  payments: ['payments', 'payment_events', 'reconciliation_runs', 'reconciliation_discrepancies'],
  chat: [
    'conversations',
    'conversation_members',
    'messages',
    // 0042: messages' hash partitions, and the name the partitioned table had until it took messages' place.
    'messages_partitioned',
    ...Array.from({ length: 16 }, (_, i) => `messages_p${String(i).padStart(2, '0')}`),
    'message_unlocks',
    'message_reactions',
    'message_edits',
    'message_hidden',
  ],
  safety: ['blocks', 'message_reports'],
  profiles: ['profiles', 'profile_photos', 'questions', 'answers', 'swipes', 'matches'],
  match: ['match_sessions', 'match_reports'],
  calls: ['calls', 'call_participants'],
  'dead-letters': ['job_dead_letters'],
  media: ['media'],
  erasure: ['account_exports'],
  creators: ['creator_pages', 'creator_tiers', 'follows', 'trial_links', 'subscriptions', 'trial_claims', 'tips'],
  posts: ['posts', 'post_media', 'post_unlocks', 'post_likes', 'post_comments', 'post_bookmarks', 'post_stats', 'feed_items', 'feed_big_creators'],
  verification: ['creator_verifications'],
  'mass-messages': ['mass_messages', 'mass_message_recipients'],
  payouts: ['payout_methods', 'payouts', 'payout_events', 'payout_schedules'],
  reports: ['reports', 'moderation_decisions', 'decision_appeals'],
  moderation: ['moderation_verdicts'],
  risk: ['risk_logins', 'risk_payments'],
  notifications: ['notifications', 'notification_preferences', 'push_subscriptions'],
  analytics: ['analytics_events', 'analytics_daily'],
};

const MODULES_DIR = join(ROOT, 'server/src/modules');
const NAME = '[a-z_][a-z0-9_]*';
/** A name and its alias, if any: aliases are lower case and keywords upper case, so `WHERE`, `ON` or `SET` ends the item. */
const ITEM = `${NAME}(?:\\s+(?:AS\\s+)?${NAME})?`;
const REFERENCE = new RegExp(`\\b(DELETE\\s+FROM|INSERT\\s+INTO|UPDATE|FROM|JOIN|USING)\\s+(${ITEM}(?:\\s*,\\s*${ITEM})*)`, 'g');

/** The names SQL text reads from or writes to, in order; only the first after DELETE FROM / INSERT INTO / UPDATE is written. */
function namesIn(sql: string): { name: string; write: boolean }[] {
  return [...sql.matchAll(REFERENCE)].flatMap((m) =>
    m[2]!.split(',').map((item, i) => ({ name: item.trim().split(/\s+/)[0]!, write: i === 0 && !/^(FROM|JOIN|USING)$/.test(m[1]!) })),
  );
}

function tablesOfMigrations(): Set<string> {
  const names = new Set<string>();
  for (const f of readdirSync(MIGRATIONS_DIR)) {
    for (const m of readFileSync(join(MIGRATIONS_DIR, f), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)/g)) names.add(m[1]!);
  }
  return names;
}

interface Reference {
  module: string;
  file: string;
  table: string;
  write: boolean;
}

function references(tables: Set<string>): Reference[] {
  const out: Reference[] = [];
  const scan = (module: string, file: string, text: string) => {
    for (const n of namesIn(text)) if (tables.has(n.name)) out.push({ module, file, table: n.name, write: n.write });
  };
  for (const module of readdirSync(MODULES_DIR)) {
    for (const f of readdirSync(join(MODULES_DIR, module), { recursive: true }) as string[]) {
      if (f.endsWith('.ts')) scan(module, `server/src/modules/${module}/${f}`, readFileSync(join(MODULES_DIR, module, f), 'utf8'));
    }
  }
  for (const module of readdirSync(REPEATABLE_SQL_DIR)) {
    // Recursive, as migrate() reads the folder.
    for (const f of readdirSync(join(REPEATABLE_SQL_DIR, module), { recursive: true }) as string[]) {
      if (f.endsWith('.sql')) scan(module, `server/sql/${module}/${f}`, readFileSync(join(REPEATABLE_SQL_DIR, module, f), 'utf8'));
    }
  }
  return out;
}

describe('table owners', () => {
  const tables = tablesOfMigrations();
  const ownerOf = new Map(Object.entries(OWNERS).flatMap(([module, ts]) => ts.map((t) => [t, module] as const)));

  it('gives every table the migrations create exactly one owner', () => {
    expect([...tables].filter((t) => !ownerOf.has(t)).sort()).toEqual([]);
    expect([...ownerOf.keys()].filter((t) => !tables.has(t)).sort()).toEqual([]);
  });

  it('finds the SQL it checks (the scan is not silently empty)', () => {
    const refs = references(tables);
    expect(refs.some((r) => r.module === 'ledger' && r.table === 'ledger_transfers')).toBe(true);
    expect(refs.some((r) => r.module === 'safety' && r.table === 'blocks' && r.file.startsWith('server/sql/'))).toBe(true);
    expect(refs.some((r) => r.module === 'users' && r.table === 'users' && r.file === 'server/sql/users/user_cards.sql')).toBe(true);
  });

  it('reads every item of a FROM list, past aliases, and tells writes from reads', () => {
    expect(namesIn('FROM me, profiles p JOIN user_cards u ON u.id = p.user_id WHERE x')).toEqual([
      { name: 'me', write: false },
      { name: 'profiles', write: false },
      { name: 'user_cards', write: false },
    ]);
    expect(namesIn('UPDATE conversation_members m SET a = 1 FROM conversations AS c, messages x WHERE c.id = m.id')).toEqual([
      { name: 'conversation_members', write: true },
      { name: 'conversations', write: false },
      { name: 'messages', write: false },
    ]);
    expect(namesIn('DELETE FROM blocks b USING users u WHERE b.blocked_id = u.id')).toEqual([
      { name: 'blocks', write: true },
      { name: 'users', write: false },
    ]);
    expect(namesIn('INSERT INTO swipes (user_id, target_id) SELECT a, b FROM unnest($1) a JOIN x USING (id)')).toEqual([
      { name: 'swipes', write: true },
      { name: 'unnest', write: false },
      { name: 'x', write: false },
    ]);
  });

  it('publishes repeatable SQL only from folders named after a module in OWNERS', () => {
    expect(readdirSync(REPEATABLE_SQL_DIR).filter((d) => !(d in OWNERS))).toEqual([]);
  });

  it("no module writes another module's tables", () => {
    const foreign = references(tables).filter((r) => r.write && ownerOf.get(r.table) !== r.module);
    expect(foreign.map((r) => `${r.file}: writes ${r.table} (owner: ${ownerOf.get(r.table)})`)).toEqual([]);
  });

  it("no module reads another module's tables (it reads the views and functions their owners publish)", () => {
    const foreign = references(tables).filter((r) => !r.write && ownerOf.get(r.table) !== r.module);
    expect([...new Set(foreign.map((r) => `${r.file}: reads ${r.table} (owner: ${ownerOf.get(r.table)})`))]).toEqual([]);
  });
});
