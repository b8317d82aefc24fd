import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect, http, newUser, nextEvent, waitFor, type ClientSocket } from '../support/client.js';
import { runRoles } from '../support/admin-cli.js';
import { fund, newAdmin } from '../support/ledger.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { verifyLedger } from '../../server/src/modules/ledger/ledger.verify.js';

/**
 * Reports to decisions (issue #18) on real PostgreSQL and Redis, with two nodes sharing them: reports of
 * every subject in one model (duplicates, the rate limit, the older routes), the admin queue, each
 * decision's effect (a suspension closes the user's sockets on both nodes and refuses login with its end
 * and an appeal token), the one appeal, a ban's subscription refunds (pro rata, once however often it is
 * applied), role changes and their audit entries. The ledger verifies after every test.
 */
let backing: Backing;
let a: InProcessNode;
let b: InProcessNode;
let url: string;
let admin: { userId: string; token: string };
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  backing = await createBacking();
  const env = { ...backing.env, RUN_WORKERS: 'true', REPORTS_PER_HOUR: '5', CREATOR_RENEW_SECONDS: '3600' };
  [a, b] = await Promise.all([startInProcess(env), startInProcess({ ...env, RUN_WORKERS: 'false' })]);
  url = a.url;
  admin = await newAdmin(a.pairly, url);
}, 120_000);
afterEach(async () => {
  const report = await verifyLedger(a.pairly.services.ledgerStore);
  expect(report, JSON.stringify(report)).toMatchObject({ ok: true, totalPosted: 0 });
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await Promise.all([a?.stop(), b?.stop()]);
  await backing?.cleanup();
});

type User = Awaited<ReturnType<typeof newUser>>;
const sql = <T = any>(text: string, params: unknown[] = []) => pgQuery<T>(backing.databaseUrl, text, params);
const api = <T = any>(token: string | undefined, method: string, path: string, body?: unknown, base = url) => http<T>(base, method, path, { token, body });
const open = async (token: string, base = url) => {
  const s = await connect(base, token);
  sockets.push(s);
  return s;
};
const ack = (s: ClientSocket, event: string, payload?: unknown) => (s as any).timeout(5000).emitWithAck(event, payload) as Promise<any>;
const decide = (userId: string, body: object, token = admin.token) => api(token, 'POST', `/api/admin/users/${userId}/decisions`, body);
const login = (u: User) => api(undefined, 'POST', '/api/auth/login', { email: u.user.email, password: u.password });
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** b sends a a message; a's socket and the message. */
async function conversation(): Promise<{ a: User; b: User; sa: ClientSocket; messageId: string; conversationId: string }> {
  const [ua, ub] = [await newUser(url), await newUser(url)];
  const sa = await open(ua.accessToken);
  const sb = await open(ub.accessToken);
  const sent = await ack(sb, 'chat:send', { clientId: randomUUID(), toUserId: ua.user.id, body: 'something nasty' });
  expect(sent.ok).toBe(true);
  return { a: ua, b: ub, sa, messageId: sent.message.id, conversationId: sent.message.conversationId };
}

describe('filing reports', () => {
  it('keeps the content as reported, one open report per reporter and subject, the older route on the same model', async () => {
    const { a: reporter, b: sender, messageId } = await conversation();
    const first = await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'message', id: messageId, reason: 'harassment', note: 'again and again' });
    expect(first.status).toBe(201);
    expect(first.body.report).toMatchObject({ subject: 'message', subjectId: messageId, reason: 'harassment', status: 'open' });
    const twice = await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'message', id: messageId, reason: 'spam' });
    expect(twice.status).toBe(200);
    expect(twice.body.report.id).toBe(first.body.report.id);
    const legacy = await api(reporter.accessToken, 'POST', `/api/messages/${messageId}/report`, { reason: 'free text' });
    expect(legacy.status).toBe(200);
    expect(legacy.body.report).toEqual({ id: first.body.report.id, created: false });

    const [row] = await sql(`SELECT reported_id, content FROM reports WHERE id = $1`, [first.body.report.id]);
    expect(row.reported_id).toBe(sender.user.id);
    expect(row.content).toMatchObject({ body: 'something nasty' });
    // What I cannot see, and myself, are not reportable.
    expect((await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'message', id: randomUUID(), reason: 'spam' })).status).toBe(404);
    expect((await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'user', id: reporter.user.id, reason: 'spam' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'user', id: sender.user.id, reason: 'made-up' })).status).toBe(400);

    const mine = await api(reporter.accessToken, 'GET', '/api/reports/mine');
    expect(mine.body.reports.map((r: any) => r.id)).toEqual([first.body.report.id]);
  });

  it('limits reports per reporter (REPORTS_PER_HOUR = 5 here)', async () => {
    const reporter = await newUser(url);
    const targets = await Promise.all(Array.from({ length: 6 }, () => newUser(url)));
    const codes: number[] = [];
    for (const t of targets) codes.push((await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'user', id: t.user.id, reason: 'spam' })).status);
    expect(codes).toEqual([201, 201, 201, 201, 201, 429]);
  });
});

describe('the queue and its decisions', () => {
  it('shows open reports with the user’s history; a dismissal settles them and tells the reporter', async () => {
    const { a: reporter, b: sender, sa, messageId } = await conversation();
    const filed = await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'message', id: messageId, reason: 'spam' });
    const queue = await api(admin.token, 'GET', '/api/admin/reports');
    const entry = queue.body.entries.find((e: any) => e.user.userId === sender.user.id);
    expect(entry.user).toMatchObject({ status: 'active', reportsAgainst: 1, decisions: [] });
    expect(entry.reports[0]).toMatchObject({ id: filed.body.report.id, reporterId: reporter.user.id, content: { body: 'something nasty' } });

    const told = nextEvent<any>(sa, 'report:decided');
    const d = await decide(sender.user.id, { action: 'dismiss', reason: 'not against the rules' });
    expect(d.status).toBe(201);
    expect(d.body).toMatchObject({ settled: 1, decision: { action: 'dismiss' } });
    expect(await told).toEqual({ reportId: filed.body.report.id, status: 'dismissed', action: 'dismiss' });
    const after = await api(admin.token, 'GET', '/api/admin/reports');
    expect(after.body.entries.some((e: any) => e.user.userId === sender.user.id)).toBe(false);
    // A new report of the same message may be filed once the first is settled.
    expect((await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'message', id: messageId, reason: 'spam' })).status).toBe(201);
  });

  it('removes a reported message for everyone and warns its sender, who is told', async () => {
    const { a: reporter, b: sender, messageId, conversationId } = await conversation();
    await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'message', id: messageId, reason: 'hate' });
    const sb = await open(sender.accessToken, b.url);
    const standing = nextEvent<any>(sb, 'account:standing');
    const removed = await decide(sender.user.id, { action: 'remove_content', reason: 'hate speech', subject: { kind: 'message', id: messageId } });
    expect(removed.status).toBe(201);
    expect(await standing).toMatchObject({ action: 'remove_content', reason: 'hate speech' });
    const history = await api(reporter.accessToken, 'GET', `/api/conversations/${conversationId}/messages`);
    expect(history.body.messages.find((m: any) => m.id === messageId)).toMatchObject({ deleted: true });
    expect((await decide(sender.user.id, { action: 'remove_content', reason: 'x', subject: { kind: 'message', id: randomUUID() } })).status).toBe(404);

    const warned = nextEvent<any>(sb, 'account:standing');
    expect((await decide(sender.user.id, { action: 'warn', reason: 'be kind' })).status).toBe(201);
    expect(await warned).toMatchObject({ action: 'warn', reason: 'be kind', until: null });
    // Still signed in: a warning ends nothing.
    expect((await api(sender.accessToken, 'GET', '/api/me')).status).toBe(200);
  });

  it('removes a reported post through posts: gone for everyone', async () => {
    const creator = await newUser(url, { role: 'creator' });
    await api(creator.accessToken, 'PUT', '/api/creator/page', { handle: `p${Date.now().toString(36)}` });
    const post = await api(creator.accessToken, 'POST', '/api/posts', { body: 'a scam link', visibility: { kind: 'free' } });
    expect(post.status).toBe(201);
    const fan = await newUser(url);
    const filed = await api(fan.accessToken, 'POST', '/api/reports', { subject: 'post', id: post.body.post.id, reason: 'scam' });
    expect(filed.status).toBe(201);
    expect((await sql(`SELECT content FROM reports WHERE id = $1`, [filed.body.report.id]))[0].content.post).toMatchObject({ body: 'a scam link' });
    const removed = await decide(creator.user.id, { action: 'remove_content', reason: 'scam', subject: { kind: 'post', id: post.body.post.id } });
    expect(removed.body).toMatchObject({ settled: 1, decision: { action: 'remove_content', subject: { kind: 'post', id: post.body.post.id } } });
    expect((await api(fan.accessToken, 'GET', `/api/posts/${post.body.post.id}`)).status).toBe(404);
    expect((await decide(creator.user.id, { action: 'remove_content', reason: 'x', subject: { kind: 'user', id: creator.user.id } })).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('removes a reported profile’s bio and pictures through profiles', async () => {
    const u = await newUser(url);
    expect((await api(u.accessToken, 'PUT', '/api/profile', { bio: 'buy followers at scam.example' })).status).toBe(200);
    const fan = await newUser(url);
    expect((await api(fan.accessToken, 'POST', '/api/reports', { subject: 'profile', id: u.user.id, reason: 'spam' })).status).toBe(201);
    expect((await decide(u.user.id, { action: 'remove_content', reason: 'spam bio', subject: { kind: 'profile', id: u.user.id } })).status).toBe(201);
    expect((await api(fan.accessToken, 'GET', `/api/users/${u.user.id}/profile`)).body.profile).toMatchObject({ bio: '', photos: [], avatar: null });
  });

  it('a suspension closes the user’s sockets on every node, refuses login with its end and an appeal token, and ends by itself', async () => {
    const { a: reporter, b: sender, messageId } = await conversation();
    await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'message', id: messageId, reason: 'harassment' });
    const onA = await open(sender.accessToken, a.url);
    const onB = await open(sender.accessToken, b.url);
    const events = [onA, onB].map((s) => ({ revoked: nextEvent<any>(s, 'auth:revoked'), closed: nextEvent<string>(s, 'disconnect') }));
    const until = inAnHour();
    expect((await decide(sender.user.id, { action: 'suspend', reason: 'harassment', until })).status).toBe(201);
    for (const e of events) {
      // The close carries the decision itself: the account:standing push sent just before goes through the
      // adapter (a Redis round trip) and may reach a socket after its close.
      expect(await e.revoked).toMatchObject({ reason: 'admin', standing: { action: 'suspend', until, reason: 'harassment', appealToken: expect.any(String) } });
      expect(await e.closed).toBe('io server disconnect');
    }
    expect((await api(sender.accessToken, 'GET', '/api/me')).body.error.code).toBe('SESSION_REVOKED');
    const refused = await login(sender);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'ACCOUNT_SUSPENDED', details: { until, reason: 'harassment' } });
    expect(typeof refused.body.error.details.appealToken).toBe('string');

    // Its end passes: the next login lifts it.
    await sql(`UPDATE users SET suspended_until = now() - interval '1 second' WHERE id = $1`, [sender.user.id]);
    expect((await login(sender)).status).toBe(200);
    expect((await sql(`SELECT status, suspended_until FROM users WHERE id = $1`, [sender.user.id]))[0]).toEqual({ status: 'active', suspended_until: null });
    expect((await decide(sender.user.id, { action: 'suspend', reason: 'x', until: new Date(Date.now() - 1000).toISOString() })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await decide(admin.userId, { action: 'warn', reason: 'me' })).body.error.code).toBe('SELF_ACTION_REFUSED');
  });

  it('a suspended user appeals once with the appeal token; reversing it restores the account', async () => {
    const u = await newUser(url);
    const d = await decide(u.user.id, { action: 'ban', reason: 'scam' });
    const refused = await login(u);
    expect(refused.body.error.details).toMatchObject({ decisionId: d.body.decision.id, until: null });
    const { appealToken, decisionId } = refused.body.error.details;
    expect((await api(undefined, 'POST', '/api/appeals/with-token', { decisionId, body: 'it was not me', appealToken: 'forged' })).body.error.code).toBe('INVALID_TOKEN');
    const appealed = await api(undefined, 'POST', '/api/appeals/with-token', { decisionId, body: 'it was not me', appealToken });
    expect(appealed.status).toBe(201);
    expect(appealed.body.appeal).toMatchObject({ decisionId, status: 'open' });
    expect((await api(undefined, 'POST', '/api/appeals/with-token', { decisionId, body: 'please', appealToken })).body.error.code).toBe('ALREADY_APPEALED');

    const queue = await api(admin.token, 'GET', '/api/admin/reports');
    expect(queue.body.appeals.find((x: any) => x.decision.id === decisionId)).toMatchObject({ appeal: { body: 'it was not me' }, user: { status: 'banned' } });
    const reversed = await api(admin.token, 'POST', `/api/admin/appeals/${decisionId}`, { outcome: 'reverse' });
    expect(reversed.status).toBe(200);
    expect(reversed.body.restored).toMatchObject({ action: 'restore' });
    expect((await api(admin.token, 'POST', `/api/admin/appeals/${decisionId}`, { outcome: 'uphold' })).body.error.code).toBe('APPEAL_CLOSED');
    const back = await login(u);
    expect(back.status).toBe(200);
    // A restore is not appealable; another's decision is not mine to appeal.
    const other = await newUser(url);
    expect((await api(other.accessToken, 'POST', '/api/appeals', { decisionId, body: 'x' })).status).toBe(404);
    expect((await api(back.body.accessToken, 'POST', '/api/appeals', { decisionId: reversed.body.restored.id, body: 'x' })).body.error.code).toBe('NOT_APPEALABLE');
  });
});

describe('a ban', () => {
  it('stops the fans’ subscriptions and refunds the unused part pro rata, once however often it is applied', async () => {
    const creator = await newUser(url, { role: 'creator' });
    const handle = `c${Date.now().toString(36)}`;
    expect((await api(creator.accessToken, 'PUT', '/api/creator/page', { handle })).status).toBe(200);
    const tier = await api(creator.accessToken, 'POST', '/api/creator/tiers', { name: 'Basic', price: 100 });
    const fans = await Promise.all([newUser(url), newUser(url)]);
    const subIds: string[] = [];
    for (const f of fans) {
      await fund(a.pairly, f.user.id, 100);
      const s = await api(f.accessToken, 'POST', `/api/creators/${handle}/subscribe`, { tierId: tier.body.tier.id, months: 1, expectedPrice: 100 });
      expect(s.status).toBe(201);
      subIds.push(s.body.subscription.id);
    }
    // One fan has half of the 30-day period left, the other a quarter, each plus an hour (so the seconds the test
    // takes do not move the rounded-down share: a credit is 7.2 hours of it).
    await sql(`UPDATE subscriptions SET current_period_start = now() - interval '14 days 23 hours', current_period_end = now() + interval '15 days 1 hour' WHERE id = $1`, [subIds[0]]);
    await sql(`UPDATE subscriptions SET current_period_start = now() - interval '22 days 11 hours', current_period_end = now() + interval '7 days 13 hours' WHERE id = $1`, [subIds[1]]);

    // Two admins ban at once.
    const second = await newAdmin(a.pairly, url);
    const bans = await Promise.all([decide(creator.user.id, { action: 'ban', reason: 'fraud' }), decide(creator.user.id, { action: 'ban', reason: 'fraud' }, second.token)]);
    expect(bans.map((r) => r.status)).toEqual([201, 201]);
    const refunds = await sql<{ key: string; amount: number }>(`SELECT idempotency_key AS key, amount::int FROM ledger_transfers WHERE idempotency_key LIKE 'ban-refund:%' ORDER BY idempotency_key`);
    const total = (sub: string) => refunds.filter((r) => r.key.startsWith(`ban-refund:${sub}:`)).reduce((n, r) => n + r.amount, 0);
    // What the time left is worth, rounded down: 100 × (15 d 1 h / 30 d) and 100 × (7 d 13 h / 30 d).
    expect(total(subIds[0]!)).toBe(50);
    expect(total(subIds[1]!)).toBe(25);
    expect((await a.pairly.services.ledger.balance(fans[0]!.user.id)).available).toBe(total(subIds[0]!));
    for (const id of subIds) expect((await sql(`SELECT status FROM subscriptions WHERE id = $1`, [id]))[0].status).toBe('expired');
    expect((await sql(`SELECT subscriber_count FROM creator_pages WHERE user_id = $1`, [creator.user.id]))[0].subscriber_count).toBe(0);
    // Applied again: nothing more.
    await decide(creator.user.id, { action: 'ban', reason: 'fraud' });
    expect(await sql(`SELECT 1 FROM ledger_transfers WHERE idempotency_key LIKE 'ban-refund:%'`)).toHaveLength(refunds.length);
  });
});

describe('admin user management', () => {
  it('finds users and shows one with sessions, wallet, reports and decisions', async () => {
    const u = await newUser(url, { displayName: 'Findable Person' });
    const reporter = await newUser(url);
    await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'user', id: u.user.id, reason: 'impersonation' });
    const found = await api(admin.token, 'GET', `/api/admin/users?q=${encodeURIComponent('findable pers')}`);
    expect(found.body.users.map((x: any) => x.userId)).toContain(u.user.id);
    expect((await api(admin.token, 'GET', `/api/admin/users?q=${u.user.id}`)).body.users).toHaveLength(1);
    const detail = await api(admin.token, 'GET', `/api/admin/users/${u.user.id}`);
    expect(detail.body).toMatchObject({ user: { userId: u.user.id, reportsAgainst: 1 }, wallet: { available: 0 }, reportsAgainst: [{ reason: 'impersonation' }], reportsBy: [] });
    expect(detail.body.sessions).toHaveLength(1);
    expect((await api(u.accessToken, 'GET', '/api/admin/users')).status).toBe(403);
  });

  it('changes roles by an admin, never their own; the change is audited', async () => {
    const u = await newUser(url);
    expect((await api(admin.token, 'PUT', `/api/admin/users/${admin.userId}/role`, { role: 'fan' })).body.error.code).toBe('SELF_ACTION_REFUSED');
    const changed = await api(admin.token, 'PUT', `/api/admin/users/${u.user.id}/role`, { role: 'creator' });
    expect(changed.status).toBe(200);
    expect(changed.body.user.role).toBe('creator');
    // The old token carried the old role: it is refused now.
    expect((await api(u.accessToken, 'GET', '/api/me')).body.error.code).toBe('SESSION_REVOKED');

    const audit = await api(admin.token, 'GET', `/api/admin/audit?targetId=${u.user.id}&action=admin.role_changed`);
    expect(audit.body.entries).toEqual([expect.objectContaining({ actorId: admin.userId, targetId: u.user.id, meta: expect.objectContaining({ from: 'fan', to: 'creator', via: 'admin' }) })]);
    const mine = await api(admin.token, 'GET', `/api/admin/audit?actorId=${admin.userId}&limit=200`);
    expect(mine.body.entries.map((e: any) => e.action)).toEqual(expect.arrayContaining(['admin.decision', 'admin.role_changed', 'admin.appeal_decided']));
    await waitFor(async () => (await sql(`SELECT 1 FROM audit_log WHERE action = 'reports.appealed'`)).length > 0);
  });

  it('shows an account its owner deleted as deleted, and refuses what makes no sense on it', async () => {
    const [u, reporter] = [await newUser(url), await newUser(url)];
    expect((await api(reporter.accessToken, 'POST', '/api/reports', { subject: 'user', id: u.user.id, reason: 'spam' })).status).toBe(201);
    expect((await api(u.accessToken, 'DELETE', '/api/me', { password: u.password })).status).toBe(202);

    const found = await api(admin.token, 'GET', `/api/admin/users?q=${u.user.id}`);
    expect(found.body.users).toEqual([expect.objectContaining({ userId: u.user.id, status: 'deleted', deletedAt: expect.any(String) })]);
    expect((await api(admin.token, 'GET', `/api/admin/users/${u.user.id}`)).body.user).toMatchObject({ status: 'deleted' });
    const queued = (await api(admin.token, 'GET', '/api/admin/reports')).body.entries.find((e: any) => e.user.userId === u.user.id);
    expect(queued.user.status).toBe('deleted');

    for (const body of [{ action: 'warn', reason: 'x' }, { action: 'suspend', reason: 'x', until: inAnHour() }, { action: 'ban', reason: 'x' }, { action: 'restore', reason: 'x' }]) {
      const refused = await decide(u.user.id, body);
      expect([body.action, refused.status, refused.body.error?.code]).toEqual([body.action, 409, 'ACCOUNT_DELETED']);
    }
    const role = await api(admin.token, 'PUT', `/api/admin/users/${u.user.id}/role`, { role: 'creator' });
    expect([role.status, role.body.error?.code]).toEqual([409, 'ACCOUNT_DELETED']);
    // The reports against it can still be settled; the account stays closed.
    const dismissed = await decide(u.user.id, { action: 'dismiss', reason: 'the account is gone' });
    expect([dismissed.status, dismissed.body.settled]).toEqual([201, 1]);
    expect((await sql(`SELECT status, role FROM users WHERE id = $1`, [u.user.id]))[0]).toEqual({ status: 'deleted', role: 'fan' });
  });

  it('changes roles from the command line too, audited as the CLI’s', async () => {
    const u = await newUser(url);
    const run = await runRoles(backing.env, ['--email', u.user.email, '--role', 'admin']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: u.user.id, from: 'fan', to: 'admin' });
    expect((await sql(`SELECT role FROM users WHERE id = $1`, [u.user.id]))[0].role).toBe('admin');
    expect((await sql(`SELECT actor_id, meta FROM audit_log WHERE action = 'admin.role_changed' AND meta ->> 'userId' = $1`, [u.user.id]))[0]).toMatchObject({ actor_id: null, meta: { via: 'cli', to: 'admin' } });
    expect((await runRoles(backing.env, ['--email', 'nobody@example.test', '--role', 'fan'])).stderr).toMatch(/no account/);
    expect((await runRoles(backing.env, ['--email', u.user.email, '--role', 'king'])).code).toBe(2);
  });
});
