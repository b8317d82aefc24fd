import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, newUser, nextEvent, type ClientSocket } from '../support/client.js';
import { newAdmin } from '../support/ledger.js';
import { jpegWithGps, processed, uploadAndConfirm } from '../support/media.js';
import { createBacking, startInProcess, tempDir, type Backing, type InProcessNode } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';

/**
 * Creator verification (issue #13) on real PostgreSQL and Redis: submission and its refusals, the admin
 * queue with the photos, approve / reject / resubmit, the audit entries written in the decision's own
 * transaction, and CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION (a second node on the same database has it on).
 */
let backing: Backing;
let node: InProcessNode;
let strict: InProcessNode;
let url: string;
let admin: { userId: string; token: string };
const data = tempDir('verification');
const sockets: ClientSocket[] = [];
type User = Awaited<ReturnType<typeof newUser>>;

beforeAll(async () => {
  backing = await createBacking();
  const media = { PAIRLY_DATA_DIR: data.path, MEDIA_STORAGE: 'local' };
  node = await startInProcess({ ...backing.env, ...media, RUN_WORKERS: 'true' });
  strict = await startInProcess({ ...backing.env, ...media, RUN_WORKERS: 'false', CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION: 'true' });
  url = node.url;
  admin = await newAdmin(node.pairly, url);
}, 120_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await strict?.stop();
  await node?.stop();
  await backing?.cleanup();
  data.remove();
});

const sql = <T = any>(text: string, params: unknown[] = []) => pgQuery<T>(backing.databaseUrl, text, params);
const api = <T = any>(token: string, method: string, path: string, body?: unknown, base = url) => http<T>(base, method, path, { token, body });
const open = async (token: string) => {
  const s = await connect(url, token);
  sockets.push(s);
  return s;
};

async function photo(token: string, kind = 'verification_document'): Promise<string> {
  const { id } = await uploadAndConfirm(url, token, kind, 'image/jpeg', await jpegWithGps(320, 240));
  expect((await processed(url, token, id)).state).toBe('ready');
  return id;
}

/** A creator with their two verification photos uploaded and processed. */
async function creatorWithPhotos(): Promise<{ user: User; documentMediaId: string; selfieMediaId: string }> {
  const user = await newUser(url, { role: 'creator', birthdate: '1990-04-02' });
  return { user, documentMediaId: await photo(user.accessToken), selfieMediaId: await photo(user.accessToken) };
}

const body = (c: { documentMediaId: string; selfieMediaId: string }, over: object = {}) => ({
  id: randomUUID(),
  legalName: 'Ada Example',
  dateOfBirth: '1990-04-02',
  country: 'de',
  documentMediaId: c.documentMediaId,
  selfieMediaId: c.selfieMediaId,
  ...over,
});
const submit = (token: string, b: object, base = url) => api(token, 'POST', '/api/verification', b, base);
const queue = (query = '') => api(admin.token, 'GET', `/api/admin/verifications${query}`);
const approve = (id: string, token = admin.token) => api(token, 'POST', `/api/admin/verifications/${id}/approve`);
const reject = (id: string, b: object, token = admin.token) => api(token, 'POST', `/api/admin/verifications/${id}/reject`, b);
const auditOf = (id: string) => sql<{ action: string; actor_id: string; meta: any }>(`SELECT action, actor_id, meta FROM audit_log WHERE meta->>'verificationId' = $1 ORDER BY id`, [id]);

/** Submitted and approved through the API. */
async function verifiedCreator(): Promise<User> {
  const c = await creatorWithPhotos();
  const s = await submit(c.user.accessToken, body(c));
  expect((await approve(s.body.verification.submission.id)).status).toBe(200);
  return c.user;
}

describe('submitting and deciding', () => {
  it('a creator submits once (a retry answers the same), an admin sees both photos and approves; the creator is told live; each step audited', async () => {
    const c = await creatorWithPhotos();
    expect((await api(c.user.accessToken, 'GET', '/api/verification')).body).toEqual({ verification: { verified: false, submission: null } });

    const b = body(c);
    const first = await submit(c.user.accessToken, b);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ replayed: false, verification: { verified: false, submission: { id: b.id, status: 'pending', country: 'DE', dateOfBirth: '1990-04-02', reason: null } } });
    const again = await submit(c.user.accessToken, b);
    expect(again.status).toBe(200);
    expect(again.body.replayed).toBe(true);
    expect((await submit(c.user.accessToken, body(c))).body.error.code).toBe('VERIFICATION_PENDING');
    expect((await sql(`SELECT count(*)::int AS n FROM creator_verifications WHERE creator_id = $1`, [c.user.user.id]))[0].n).toBe(1);

    // The queue shows the photos to the admin (signed URLs that serve), and the account's birthdate agrees.
    const pending = (await queue('?status=pending&limit=50')).body.verifications.find((v: any) => v.id === b.id);
    expect(pending).toMatchObject({ legalName: 'Ada Example', birthdateMatches: true, creator: { id: c.user.user.id, birthdate: '1990-04-02' }, document: { id: c.documentMediaId }, selfie: { id: c.selfieMediaId } });
    expect((await fetch(new URL(pending.document.variants.w160.url, url))).status).toBe(200);
    expect((await fetch(new URL(pending.selfie.variants.w160.url, url))).status).toBe(200);
    // Nobody else reads the documents.
    const other = await newUser(url, { role: 'creator' });
    expect((await api(other.accessToken, 'GET', `/api/media/${c.documentMediaId}`)).status).toBe(404);

    const socket = await open(c.user.accessToken);
    const pushed = nextEvent<any>(socket, 'verification:updated');
    const approved = await approve(b.id);
    expect(approved.status).toBe(200);
    expect(approved.body.verification).toMatchObject({ id: b.id, status: 'approved', reviewedBy: admin.userId });
    expect((await pushed).verification).toMatchObject({ verified: true, submission: { id: b.id, status: 'approved' } });
    expect(await node.pairly.services.verification.isVerified(c.user.user.id)).toBe(true);
    expect((await sql(`SELECT creator_id FROM verified_creators WHERE creator_id = $1`, [c.user.user.id])).length).toBe(1);

    // A double click answers the same; the other decision is refused; a verified creator does not submit again.
    expect((await approve(b.id)).status).toBe(200);
    const late = await reject(b.id, { reason: 'too late' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'VERIFICATION_DECIDED', details: { status: 'approved' } });
    expect((await submit(c.user.accessToken, body(c))).body.error.code).toBe('ALREADY_VERIFIED');

    expect((await auditOf(b.id)).map((a) => [a.action, a.actor_id])).toEqual([
      ['verification.submitted', c.user.user.id],
      ['admin.verification_approved', admin.userId],
    ]);
  });

  it('rejects with a reason the creator sees; the creator submits again and is queued anew', async () => {
    const c = await creatorWithPhotos();
    const b = body(c, { dateOfBirth: '1991-04-02' });
    await submit(c.user.accessToken, b);
    expect((await reject(b.id, {})).body.error.code).toBe('VALIDATION_FAILED');
    const socket = await open(c.user.accessToken);
    const pushed = nextEvent<any>(socket, 'verification:updated');
    const rejected = await reject(b.id, { reason: 'The document photo is blurred.' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.verification).toMatchObject({ status: 'rejected', reason: 'The document photo is blurred.', birthdateMatches: false });
    expect((await pushed).verification).toMatchObject({ verified: false, submission: { status: 'rejected', reason: 'The document photo is blurred.' } });
    expect((await approve(b.id)).body.error.code).toBe('VERIFICATION_DECIDED');

    const b2 = body(c);
    const again = await submit(c.user.accessToken, b2);
    expect(again.status).toBe(201);
    expect(again.body.verification.submission).toMatchObject({ id: b2.id, status: 'pending', reason: null });
    expect((await queue('?status=rejected&limit=50')).body.verifications.map((v: any) => v.id)).toContain(b.id);
    expect((await auditOf(b.id)).map((a) => a.action)).toEqual(['verification.submitted', 'admin.verification_rejected']);
    expect((await auditOf(b.id))[1]!.meta).toMatchObject({ creatorId: c.user.user.id, reason: 'The document photo is blurred.' });
  });

  it('refuses the under-age, bad countries, photos that are not the creator\'s verification documents, fans, and non-admins', async () => {
    const c = await creatorWithPhotos();
    const t = c.user.accessToken;
    // Born on 1 January 17 years ago: 17 all this year.
    const under = await submit(t, body(c, { dateOfBirth: `${new Date().getUTCFullYear() - 17}-01-01` }));
    expect(under.status).toBe(403);
    expect(under.body.error.code).toBe('AGE_RESTRICTED');
    for (const bad of [{ country: 'XX' }, { country: 'DEU' }, { dateOfBirth: '2999-01-01' }, { dateOfBirth: '1990-02-30' }, { selfieMediaId: c.documentMediaId }, { legalName: ' ' }]) {
      const res = await submit(t, body(c, bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    const someoneElse = await creatorWithPhotos();
    expect((await submit(t, body(c, { selfieMediaId: someoneElse.selfieMediaId }))).body.error.code).toBe('NOT_FOUND');
    const profilePhoto = await photo(t, 'profile_photo');
    expect((await submit(t, body(c, { documentMediaId: profilePhoto }))).body.error.code).toBe('NOT_FOUND');
    expect((await submit(t, body(c, { documentMediaId: randomUUID() }))).body.error.code).toBe('NOT_FOUND');
    // Nothing was stored by any of these.
    expect((await api(t, 'GET', '/api/verification')).body.verification.submission).toBeNull();

    const fan = await newUser(url);
    expect((await submit(fan.accessToken, body(c))).body.error.code).toBe('FORBIDDEN');
    expect((await api(t, 'GET', '/api/admin/verifications')).body.error.code).toBe('FORBIDDEN');
    expect((await approve(randomUUID(), t)).body.error.code).toBe('FORBIDDEN');
    expect((await approve(randomUUID())).body.error.code).toBe('NOT_FOUND');
    expect((await approve('not-a-uuid')).body.error.code).toBe('VALIDATION_FAILED');
    expect((await queue('?cursor=nonsense')).body.error.code).toBe('VALIDATION_FAILED');
    // Someone else's submission id is not theirs to replay.
    const theirs = body(someoneElse);
    await submit(someoneElse.user.accessToken, theirs);
    expect((await submit(t, { ...body(c), id: theirs.id })).body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('racing submissions: twins of one id store it once and both answer it; two ids at once store one', async () => {
    const c = await creatorWithPhotos();
    const b = body(c);
    const twins = await Promise.all([submit(c.user.accessToken, b), submit(c.user.accessToken, b), submit(c.user.accessToken, b)]);
    expect(twins.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(twins.every((r) => r.body.verification.submission.id === b.id)).toBe(true);
    expect((await reject(b.id, { reason: 'blurred photo' })).status).toBe(200);

    const two = await Promise.all([submit(c.user.accessToken, body(c)), submit(c.user.accessToken, body(c))]);
    expect(two.map((r) => r.body.error?.code ?? r.status).sort()).toEqual([201, 'VERIFICATION_PENDING']);
    expect((await sql(`SELECT count(*)::int AS n FROM creator_verifications WHERE creator_id = $1 AND status = 'pending'`, [c.user.user.id]))[0].n).toBe(1);
    expect((await sql(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'verification.submitted'`, [c.user.user.id]))[0].n).toBe(2);
  });

  it('a decision and its audit entry commit together: when the entry cannot be written, the submission stays pending', async () => {
    const c = await creatorWithPhotos();
    const b = body(c);
    await submit(c.user.accessToken, b);
    await sql(`ALTER TABLE audit_log ADD CONSTRAINT test_refuse_verification_audit CHECK (action <> 'admin.verification_approved') NOT VALID`);
    try {
      expect((await approve(b.id)).status).toBe(500);
    } finally {
      await sql(`ALTER TABLE audit_log DROP CONSTRAINT test_refuse_verification_audit`);
    }
    expect((await sql(`SELECT status FROM creator_verifications WHERE id = $1`, [b.id]))[0].status).toBe('pending');
    expect((await approve(b.id)).status).toBe(200);
    expect((await auditOf(b.id)).map((a) => a.action)).toEqual(['verification.submitted', 'admin.verification_approved']);
  });

  it('pages the queue oldest first with a cursor, each submission once', async () => {
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await creatorWithPhotos();
      const b = body(c);
      await submit(c.user.accessToken, b);
      mine.push(b.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await queue(`?status=pending&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.verifications.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.verifications.map((v: any) => v.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => mine.includes(id))).toEqual(mine);
  });
});

describe('CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION', () => {
  let handles = 0;
  /** What a creator sells: a pay-per-view post, a tier, a message price, a pay-to-view attachment (the media id is made up: the gate comes first). */
  async function sell(creator: User, base: string): Promise<(string | number)[]> {
    const t = creator.accessToken;
    await api(t, 'PUT', '/api/creator/page', { handle: `v${Date.now().toString(36)}_${++handles}` }, base);
    const post = await api(t, 'POST', '/api/posts', { body: 'paid', visibility: { kind: 'ppv', price: 10 } }, base);
    const tier = await api(t, 'POST', '/api/creator/tiers', { name: 'Basic', price: 50 }, base);
    const price = await api(t, 'PATCH', '/api/me', { messagePrice: 3 }, base);
    const fan = await newUser(url);
    const conversationId = (await api(t, 'POST', '/api/conversations', { userId: fan.user.id }, base)).body.conversationId;
    const s = await connect(base, t);
    sockets.push(s);
    const sent = await (s as any).timeout(10_000).emitWithAck('chat:send', { clientId: randomUUID(), conversationId, attachment: { mediaId: randomUUID(), price: 20 } });
    return [post.body.error?.code ?? post.status, tier.body.error?.code ?? tier.status, price.body.error?.code ?? price.status, sent.ok ? 'sent' : sent.error.code];
  }

  it('when on, an unverified creator sells nothing (free things still work), and a verified one sells', async () => {
    const unverified = await newUser(url, { role: 'creator' });
    expect(await sell(unverified, strict.url)).toEqual(['VERIFICATION_REQUIRED', 'VERIFICATION_REQUIRED', 'VERIFICATION_REQUIRED', 'VERIFICATION_REQUIRED']);
    expect((await api(unverified.accessToken, 'POST', '/api/posts', { body: 'free', visibility: { kind: 'free' } }, strict.url)).status).toBe(201);
    expect((await api(unverified.accessToken, 'PATCH', '/api/me', { messagePrice: 0 }, strict.url)).status).toBe(200);

    const verified = await verifiedCreator();
    expect(await sell(verified, strict.url)).toEqual([201, 201, 200, 'NOT_FOUND']);
  });

  it('when off (the default), unverified creators sell as before', async () => {
    const unverified = await newUser(url, { role: 'creator' });
    expect(await sell(unverified, url)).toEqual([201, 201, 200, 'NOT_FOUND']);
  });
});
