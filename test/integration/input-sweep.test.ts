import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminEventSchemas } from '../../shared/admin.js';
import {
  emailChangeBody,
  loginBody,
  loginTwoFactorBody,
  oidcCallbackForm,
  oidcCallbackQuery,
  oidcProvider,
  oidcSignupBody,
  oidcTicketBody,
  passwordChangeBody,
  passwordResetBody,
  passwordResetRequestBody,
  refreshBody,
  signupBody,
  tokenBody,
  twoFactorDisableBody,
  twoFactorEnableBody,
  twoFactorVerifyBody,
  updateMeBody,
} from '../../shared/auth.js';
import { historyQuery, messageSearchQuery, openConversationBody, reportBody, unlockBody } from '../../shared/chat.js';
import { deleteMeBody } from '../../shared/erasure.js';
import { clientEventSchemas } from '../../shared/events.js';
import { int4Id } from '../../shared/input.js';
import { matchReportBody } from '../../shared/match.js';
import { notificationListQuery, notificationPreferencesBody, pushSubscriptionBody, pushUnsubscribeBody } from '../../shared/notifications.js';
import { appealBody, appealDecisionBody, auditQuery, decisionBody, reportBody as reportsBody, roleBody, userSearchQuery } from '../../shared/reports.js';
import { mineQuery } from '../../server/src/modules/reports/reports.routes.js';
import { adjustmentBody, checkoutBody, idempotencyKeyHeader, PROVIDERS, sandboxActionBody } from '../../shared/payments.js';
import { answerBody, datingPageQuery, discoverQuery, preferencesBody, profileBody, profilePhotosBody } from '../../shared/profiles.js';
import { confirmBody, createUploadBody, moderationBody, presignPartsBody } from '../../shared/media.js';
import { moderationDecisionBody, moderationQueueQuery } from '../../shared/moderation.js';
import { changeTierBody, creatorsQuery, handle, listQuery, pageBody, resumeBody, subscribeBody, tierBody, tierUpdateBody, tipBody, trialBody, trialCode } from '../../shared/creators.js';
import { earningsRangeQuery, earningsStatementQuery } from '../../shared/earnings.js';
import { analyticsRangeQuery, analyticsRollupBody } from '../../shared/analytics.js';
import { createMassMessageBody, massAudienceBody, massMessagesQuery } from '../../shared/mass-messages.js';
import { commentBody, createPostBody, feedQuery, postSearchQuery, unlockPostBody, updatePostBody } from '../../shared/posts.js';
import { rejectVerificationBody, submitVerificationBody, verificationQueueQuery } from '../../shared/verification.js';
import { rejectHeldPaymentBody, releaseHeldLoginBody, riskLoginsQuery, riskPaymentsQuery } from '../../shared/risk.js';
import { adminPayoutQueueQuery, batchApprovePayoutsBody, PAYOUT_PROVIDERS, payoutListQuery, payoutScheduleBody, razorpayMethodBody, rejectPayoutBody, requestPayoutBody } from '../../shared/payouts.js';
import { DATA_EXCEPTION_LOG } from '../../server/src/errors.js';
import { createLogger } from '../../server/src/logger.js';
import { adminPresenceQuery } from '../../server/src/modules/admin/admin.presence.routes.js';
import { deadLetterEventId, paymentsQuery, transfersQuery } from '../../server/src/modules/admin/admin.routes.js';
import { callsQuery } from '../../server/src/modules/calls/calls.routes.js';
import { conversationsQuery } from '../../server/src/modules/chat/chat.routes.js';
import { deadLetterId, deadLetterListQuery } from '../../server/src/modules/dead-letters/dead-letters.routes.js';
import { pageQuery } from '../../server/src/modules/ledger/ledger.routes.js';
import { paymentsListQuery } from '../../server/src/modules/payments/payments.routes.js';
import { mediaToken } from '../../server/src/modules/media/media.routes.js';
import { bodyTransport, HOSTILE_VALUES, inputArbitrary, type BodyTransport, type Pools } from '../support/arbitraries.js';
import { documentedRows, mountedRoutes, normalizePath } from '../support/routes.js';
import { encodeBody, queryString, segment, sendableHeader, stringify } from '../support/wire.js';
import { connect, http, newUser, STRONG_PASSWORD, type ClientSocket } from '../support/client.js';
import { newAdmin } from '../support/ledger.js';
import { createBacking, ROOT, startInProcess, tempDir, type Backing, type InProcessNode } from '../support/pairly.js';

/**
 * Property-based sweep of every input the server takes: each mounted REST
 * route and each client socket event gets requests generated from its zod
 * schema (mostly valid, with NUL bytes, huge numbers, absurd dates, wrong
 * types, deep nesting, huge strings and broken body encodings mixed in),
 * from a fan, a creator, an admin and strangers, against one real server on
 * PostgreSQL and Redis. Nothing may ever answer 5xx or INTERNAL, nothing may
 * be logged as an error, and the server must be healthy afterwards.
 *
 * PROPERTY_RUNS (default 50) sets runs per route and per event;
 * PROPERTY_SEED replays a failing run (the seed is printed on failure); with CI set the seed is fixed
 * unless PROPERTY_SEED=random.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
// CI runs one fixed seed, so a submission's result is reproducible; every local run explores a new one (and a
// seed that finds a failure becomes a regression test of its own, as inputs.test.ts's idempotency-key case did).
const CI_SEED = 20261201;
const SEED =
  process.env.PROPERTY_SEED !== undefined && process.env.PROPERTY_SEED !== 'random'
    ? Number(process.env.PROPERTY_SEED)
    : process.env.CI && process.env.PROPERTY_SEED !== 'random'
      ? CI_SEED
      : randomBytes(4).readInt32LE();

type Caller = 'fan' | 'creator' | 'admin' | 'none' | 'bogus' | 'fresh' | 'spare';

interface RouteSpec {
  params?: Record<string, z.ZodType>;
  query?: z.ZodType;
  body?: z.ZodType;
  headers?: Record<string, z.ZodType>;
  /** Who calls: anyone (default), mostly an admin, nobody, or a session of its own (logout revokes it). */
  /** `fresh`: a new session of the fan; `spare`: a user of its own, for what ends every other session. */
  as?: 'anyone' | 'admin' | 'none' | 'fresh' | 'spare';
  /** `others`: generated ids name a user of their own, never the sweep's callers (an admin's suspension or role change ends the subject's sessions). */
  subjects?: 'others';
}

const uuid = z.uuid();
const provider = z.enum(PROVIDERS);
const idempotency = { 'idempotency-key': idempotencyKeyHeader };

/** Every mounted route with the schemas of what it reads. A route mounted but missing here fails the first test. */
const ROUTES: Record<string, RouteSpec> = {
  'GET /healthz': { as: 'none' },
  'GET /readyz': { as: 'none' },
  'GET /metrics': { as: 'none' },
  'GET /api/openapi.json': { as: 'none' },
  'GET /api/events.json': { as: 'none' },
  'GET /api/docs': { as: 'none' },
  'POST /api/payments/webhooks/:provider': { params: { provider }, body: z.unknown(), as: 'none' },
  'POST /api/auth/signup': { body: signupBody, as: 'none' },
  'POST /api/auth/login': { body: loginBody, as: 'none' },
  'POST /api/auth/refresh': { body: refreshBody, as: 'none' },
  'POST /api/auth/logout': { as: 'fresh' },
  'GET /api/auth/sessions': {},
  'DELETE /api/auth/sessions/:id': { params: { id: uuid }, as: 'fresh' },
  'POST /api/auth/sessions/revoke-others': { as: 'spare' },
  'POST /api/auth/verify-email': { body: tokenBody, as: 'none' },
  'POST /api/auth/verify-email/resend': {},
  'POST /api/auth/password/forgot': { body: passwordResetRequestBody, as: 'none' },
  'POST /api/auth/password/reset': { body: passwordResetBody, as: 'none' },
  'POST /api/auth/password/change': { body: passwordChangeBody, as: 'fresh' },
  'POST /api/auth/email/change': { body: emailChangeBody },
  'POST /api/auth/email/confirm': { body: tokenBody, as: 'none' },
  'POST /api/auth/email/cancel': { body: tokenBody, as: 'none' },
  'GET /api/mail/outbox': { as: 'none' },
  'POST /api/auth/login/2fa': { body: loginTwoFactorBody, as: 'none' },
  'GET /api/auth/2fa': {},
  'GET /api/auth/oidc/providers': { as: 'none' },
  'GET /api/auth/oidc/:provider/start': { params: { provider: oidcProvider }, as: 'none' },
  'GET /api/auth/oidc/:provider/callback': { params: { provider: oidcProvider }, query: oidcCallbackQuery, as: 'none' },
  'POST /api/auth/oidc/:provider/callback': { params: { provider: oidcProvider }, body: oidcCallbackForm, as: 'none' },
  'POST /api/auth/oidc/exchange': { body: oidcTicketBody, as: 'none' },
  'GET /api/auth/identities': {},
  'DELETE /api/auth/identities/:provider': { params: { provider: oidcProvider } },
  'POST /api/auth/oidc/signup': { body: oidcSignupBody, as: 'none' },
  'POST /api/auth/oidc/link': { body: tokenBody, as: 'none' },
  'POST /api/auth/2fa/setup': { as: 'fresh' },
  'POST /api/auth/2fa/enable': { body: twoFactorEnableBody, as: 'fresh' },
  'POST /api/auth/2fa/disable': { body: twoFactorDisableBody, as: 'fresh' },
  'POST /api/auth/2fa/verify': { body: twoFactorVerifyBody, as: 'fresh' },
  'GET /api/me': {},
  'PATCH /api/me': { body: updateMeBody },
  // Its own user: a generated body never holds the password, but a deleted sweep user would end the run.
  'DELETE /api/me': { body: deleteMeBody, as: 'spare' },
  'POST /api/me/export': {},
  'GET /api/me/exports': {},
  'GET /api/me/exports/:id': { params: { id: uuid } },
  'GET /api/wallet': {},
  'GET /api/wallet/transactions': { query: pageQuery },
  'GET /api/earnings': {},
  'GET /api/earnings/daily': { query: earningsRangeQuery },
  'GET /api/earnings/statement': { query: earningsStatementQuery },
  'GET /api/earnings/export.csv': { query: earningsRangeQuery },
  'GET /api/payments/packs': {},
  'POST /api/payments/checkout': { body: checkoutBody, headers: idempotency },
  'GET /api/payments': { query: paymentsListQuery },
  'POST /api/payments/sandbox/:paymentId': { params: { paymentId: uuid }, body: sandboxActionBody },
  'GET /api/conversations': { query: conversationsQuery },
  'POST /api/conversations': { body: openConversationBody },
  'GET /api/conversations/:id/messages': { params: { id: uuid }, query: historyQuery },
  'POST /api/messages/:id/report': { params: { id: uuid }, body: reportBody },
  'POST /api/messages/:id/unlock': { params: { id: uuid }, body: unlockBody },
  'GET /api/messages/search': { query: messageSearchQuery },
  'GET /api/notifications': { query: notificationListQuery },
  'GET /api/notifications/unread-count': {},
  'POST /api/notifications/read-all': {},
  'POST /api/notifications/:id/read': { params: { id: uuid } },
  'GET /api/notifications/preferences': {},
  'PUT /api/notifications/preferences': { body: notificationPreferencesBody },
  'GET /api/notifications/push/key': {},
  'POST /api/notifications/push/subscriptions': { body: pushSubscriptionBody },
  'DELETE /api/notifications/push/subscriptions': { body: pushUnsubscribeBody },
  'GET /api/blocks': {},
  'PUT /api/blocks/:userId': { params: { userId: uuid } },
  'DELETE /api/blocks/:userId': { params: { userId: uuid } },
  'GET /api/profile': {},
  'PUT /api/profile': { body: profileBody },
  'PUT /api/profile/preferences': { body: preferencesBody },
  'PUT /api/profile/photos': { body: profilePhotosBody },
  'GET /api/users/:id/profile': { params: { id: uuid } },
  'GET /api/questions': {},
  'PUT /api/questions/:id/answer': { params: { id: int4Id }, body: answerBody },
  'GET /api/discover': { query: discoverQuery },
  'POST /api/discover/:id/like': { params: { id: uuid } },
  'POST /api/discover/:id/pass': { params: { id: uuid } },
  'GET /api/matches': { query: datingPageQuery },
  'DELETE /api/matches/:userId': { params: { userId: uuid } },
  'GET /api/likes': { query: datingPageQuery },
  'POST /api/match/sessions/:id/report': { params: { id: uuid }, body: matchReportBody },
  'POST /api/reports': { body: reportsBody },
  'GET /api/reports/mine': { query: mineQuery },
  'POST /api/appeals': { body: appealBody },
  'POST /api/appeals/with-token': { body: appealBody, as: 'none' },
  'GET /api/admin/reports': { as: 'admin' },
  'POST /api/admin/users/:id/decisions': { params: { id: uuid }, body: decisionBody, as: 'admin', subjects: 'others' },
  'POST /api/admin/appeals/:decisionId': { params: { decisionId: z.coerce.number().int().positive() }, body: appealDecisionBody, as: 'admin' },
  'GET /api/admin/audit': { query: auditQuery, as: 'admin' },
  'GET /api/admin/users': { query: userSearchQuery, as: 'admin' },
  'GET /api/admin/consoles': { as: 'admin' },
  'POST /api/admin/consoles/session': { body: z.strictObject({}), as: 'admin' },
  'DELETE /api/admin/consoles/session': { as: 'admin' },
  'GET /api/admin/users/:id': { params: { id: uuid }, as: 'admin' },
  'PUT /api/admin/users/:id/role': { params: { id: uuid }, body: roleBody, as: 'admin', subjects: 'others' },
  'GET /api/calls': { query: callsQuery },
  'GET /api/calls/ice-servers': {},
  'GET /api/admin/presence': { query: adminPresenceQuery, as: 'admin' },
  'GET /api/admin/ledger/transfers': { query: transfersQuery, as: 'admin' },
  'POST /api/admin/ledger/adjustments': { body: adjustmentBody, headers: idempotency, as: 'admin' },
  'GET /api/admin/ledger/verify': { as: 'admin' },
  'GET /api/admin/payments': { query: paymentsQuery, as: 'admin' },
  'GET /api/admin/payments/dead-letters': { as: 'admin' },
  'POST /api/admin/payments/dead-letters/:provider/:eventId/retry': { params: { provider, eventId: deadLetterEventId }, as: 'admin' },
  'GET /api/admin/jobs/dead-letters': { query: deadLetterListQuery, as: 'admin' },
  'POST /api/admin/jobs/dead-letters/:id/retry': { params: { id: deadLetterId }, as: 'admin' },
  'GET /api/verification': {},
  'POST /api/verification': { body: submitVerificationBody },
  'GET /api/admin/verifications': { query: verificationQueueQuery, as: 'admin' },
  'POST /api/admin/verifications/:id/approve': { params: { id: uuid }, as: 'admin' },
  'POST /api/admin/verifications/:id/reject': { params: { id: uuid }, body: rejectVerificationBody, as: 'admin' },
  'POST /api/risk/logins/confirm': { body: tokenBody, as: 'none' },
  'GET /api/admin/risk/logins': { query: riskLoginsQuery, as: 'admin' },
  'GET /api/admin/risk/payments': { query: riskPaymentsQuery, as: 'admin' },
  'POST /api/admin/risk/payments/:paymentId/approve': { params: { paymentId: uuid }, as: 'admin' },
  'POST /api/admin/risk/payments/:paymentId/reject': { params: { paymentId: uuid }, body: rejectHeldPaymentBody, as: 'admin' },
  'POST /api/admin/risk/logins/:loginId/release': { params: { loginId: uuid }, body: releaseHeldLoginBody, as: 'admin' },
  'GET /api/admin/reconciliation': { as: 'admin' },
  'POST /api/admin/reconciliation/run': { as: 'admin' },
  'POST /api/media/uploads': { body: createUploadBody },
  'POST /api/media/:id/parts': { params: { id: uuid }, body: presignPartsBody },
  'POST /api/media/:id/confirm': { params: { id: uuid }, body: confirmBody },
  'GET /api/media/:id': { params: { id: uuid } },
  'DELETE /api/media/:id': { params: { id: uuid } },
  'POST /api/admin/media/:id/moderation': { params: { id: uuid }, body: moderationBody, as: 'admin' },
  'GET /api/admin/moderation/queue': { query: moderationQueueQuery, as: 'admin' },
  'POST /api/admin/moderation/:id/decision': { params: { id: uuid }, body: moderationDecisionBody, as: 'admin' },
  'PUT /api/media/uploads/:token': { params: { token: mediaToken }, body: z.unknown(), as: 'none' },
  'GET /api/media/files/:token': { params: { token: mediaToken }, as: 'none' },
  'GET /api/creators': { query: creatorsQuery },
  'GET /api/creators/:handle': { params: { handle } },
  'POST /api/creators/:handle/follow': { params: { handle }, body: z.strictObject({}) },
  'DELETE /api/creators/:handle/follow': { params: { handle } },
  'POST /api/creators/:handle/subscribe': { params: { handle }, body: subscribeBody },
  'GET /api/subscriptions': {},
  'POST /api/subscriptions/:id/cancel': { params: { id: uuid }, body: z.strictObject({}) },
  'POST /api/subscriptions/:id/resume': { params: { id: uuid }, body: resumeBody },
  'POST /api/subscriptions/:id/tier': { params: { id: uuid }, body: changeTierBody },
  'GET /api/trials/:code': { params: { code: trialCode } },
  'POST /api/trials/:code/claim': { params: { code: trialCode }, body: z.strictObject({}) },
  'POST /api/tips': { body: tipBody },
  'GET /api/creator/page': {},
  'PUT /api/creator/page': { body: pageBody },
  'POST /api/creator/tiers': { body: tierBody },
  'PATCH /api/creator/tiers/:id': { params: { id: uuid }, body: tierUpdateBody },
  'DELETE /api/creator/tiers/:id': { params: { id: uuid } },
  'GET /api/creator/subscribers': { query: listQuery },
  'GET /api/creator/tips': { query: listQuery },
  'GET /api/creator/analytics': { query: analyticsRangeQuery },
  'GET /api/admin/analytics': { query: analyticsRangeQuery, as: 'admin' },
  'POST /api/admin/analytics/rollup': { body: analyticsRollupBody, as: 'admin' },
  'POST /api/creator/trials': { body: trialBody },
  'GET /api/creator/trials': {},
  'DELETE /api/creator/trials/:id': { params: { id: uuid } },
  'POST /api/posts': { body: createPostBody },
  'GET /api/posts/:id': { params: { id: uuid } },
  'PATCH /api/posts/:id': { params: { id: uuid }, body: updatePostBody },
  'DELETE /api/posts/:id': { params: { id: uuid } },
  'PUT /api/posts/:id/pin': { params: { id: uuid } },
  'DELETE /api/posts/:id/pin': { params: { id: uuid } },
  'POST /api/posts/:id/unlock': { params: { id: uuid }, body: unlockPostBody },
  'PUT /api/posts/:id/like': { params: { id: uuid } },
  'DELETE /api/posts/:id/like': { params: { id: uuid } },
  'PUT /api/posts/:id/bookmark': { params: { id: uuid } },
  'DELETE /api/posts/:id/bookmark': { params: { id: uuid } },
  'GET /api/posts/:id/comments': { params: { id: uuid }, query: feedQuery },
  'POST /api/posts/:id/comments': { params: { id: uuid }, body: commentBody },
  'DELETE /api/posts/:id/comments/:commentId': { params: { id: uuid, commentId: uuid } },
  'GET /api/feed': { query: feedQuery },
  'GET /api/bookmarks': { query: feedQuery },
  'GET /api/search/posts': { query: postSearchQuery },
  'GET /api/creators/:id/posts': { params: { id: uuid }, query: feedQuery },
  'POST /api/mass-messages/audience': { body: massAudienceBody },
  'POST /api/mass-messages': { body: createMassMessageBody },
  'GET /api/mass-messages': { query: massMessagesQuery },
  'GET /api/mass-messages/:id': { params: { id: uuid } },
  'POST /api/mass-messages/:id/cancel': { params: { id: uuid } },
  'GET /api/payouts/overview': {},
  'GET /api/payouts': { query: payoutListQuery },
  'POST /api/payouts': { body: requestPayoutBody },
  'POST /api/payouts/:id/cancel': { params: { id: uuid } },
  'POST /api/payouts/methods/stripe': {},
  'POST /api/payouts/methods/stripe/refresh': {},
  'POST /api/payouts/methods/razorpay': { body: razorpayMethodBody },
  'PUT /api/payouts/schedule': { body: payoutScheduleBody },
  'POST /api/payouts/webhooks/:provider': { params: { provider: z.enum(PAYOUT_PROVIDERS) }, body: z.unknown(), as: 'none' },
  'GET /api/admin/payouts': { query: adminPayoutQueueQuery, as: 'admin' },
  'POST /api/admin/payouts/approve': { body: batchApprovePayoutsBody, as: 'admin' },
  'POST /api/admin/payouts/:id/approve': { params: { id: uuid }, as: 'admin' },
  'POST /api/admin/payouts/:id/reject': { params: { id: uuid }, body: rejectPayoutBody, as: 'admin' },
};

let backing: Backing;
let node: InProcessNode;
/** Media in the data dir (the embedded driver), so its routes do their work rather than answer MEDIA_UNAVAILABLE. */
const mediaDir = tempDir('sweep-media');
let url: string;
/** Error logs, and warnings that the data-exception safety net caught what validation should have refused. */
const problems: string[] = [];
const tokens: Record<'fan' | 'creator' | 'admin', string> = { fan: '', creator: '', admin: '' };
const ids = { fan: '', creator: '', admin: '' };
let fanEmail = '';
let spareEmail = '';
const sharedPools: Pools = {
  uuids: [],
  int4Ids: [],
  strings: [],
  named: { packId: ['starter', 'whale'], currency: ['usd', 'inr'], amount: [5, -3, 250], answer: [0, 1], accepted: [[0], [0, 1]], reason: ['spam and abuse'] },
};
/** The pools for routes whose subjects are `others`: the same, with the ids of a user nobody calls as. */
const otherPools: Pools = { ...sharedPools, uuids: [] };
const sockets = new Map<string, ClientSocket>();

beforeAll(async () => {
  backing = await createBacking();
  const logger = createLogger(
    { level: 'warn', nodeId: 'sweep' },
    {
      write(line: string) {
        const l = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string }; req?: { method?: string; url?: string }; event?: string };
        if (l.level >= 50 || l.msg === DATA_EXCEPTION_LOG) {
          problems.push(`${l.msg}: ${l.err?.message ?? ''} (${l.req ? `${l.req.method} ${l.req.url}` : `event ${l.event ?? '?'}`})`);
        }
      },
    },
  );
  node = await startInProcess(
    {
      ...backing.env,
      PAYMENTS_SANDBOX: 'true',
      // Limits would turn most requests into RATE_LIMITED before they reach the code under test.
      SOCKET_EVENTS_PER_SECOND: '10000',
      LOGIN_MAX_FAILURES_PER_EMAIL: '1000000',
      LOGIN_MAX_FAILURES_PER_IP: '1000000',
      CHAT_MESSAGES_PER_10S: '1000000',
      CHAT_FLOOD_PER_5S: '1000000',
      MEDIA_STORAGE: 'local',
      PAIRLY_DATA_DIR: mediaDir.path,
      MEDIA_UPLOADS_PER_HOUR: '1000000',
    },
    logger,
  );
  url = node.url;
  const fan = await newUser(url);
  const creator = await newUser(url, { role: 'creator' });
  const admin = await newAdmin(node.pairly, url);
  Object.assign(tokens, { fan: fan.accessToken, creator: creator.accessToken, admin: admin.token });
  Object.assign(ids, { fan: fan.user.id, creator: creator.user.id, admin: admin.userId });
  fanEmail = fan.user.email;
  spareEmail = (await newUser(url)).user.email;
  otherPools.uuids.push((await newUser(url)).user.id, crypto.randomUUID());

  // Real rows for generated ids to hit: users, a conversation with a message, a payment, the questions.
  const conv = await http(url, 'POST', '/api/conversations', { token: tokens.fan, body: { userId: ids.creator } });
  const s = await connect(url, tokens.fan);
  const sent = (await s.emitWithAck('chat:send', { conversationId: conv.body.conversationId, clientId: crypto.randomUUID(), body: 'hello' })) as { ok: boolean; message?: { id: string } };
  s.close();
  const pay = await http(url, 'POST', '/api/payments/checkout', { token: tokens.fan, headers: { 'idempotency-key': 'sweep-checkout-1' }, body: { packId: 'starter', provider: 'sandbox' } });
  const questions = await http<{ questions: { id: number }[] }>(url, 'GET', '/api/questions', { token: tokens.fan });
  // Media items for generated ids to hit: a single upload and one in parts, both still uploading.
  const upload = await http(url, 'POST', '/api/media/uploads', { token: tokens.fan, body: { kind: 'avatar', contentType: 'image/png', size: 1000 } });
  const parts = await http(url, 'POST', '/api/media/uploads', { token: tokens.creator, body: { kind: 'post_media', contentType: 'video/mp4', size: 70 * 1024 * 1024 } });
  // Refresh tokens of sessions of their own: a reuse revokes only them.
  const extra = await http(url, 'POST', '/api/auth/login', { body: { email: fan.user.email, password: fan.password } });
  sharedPools.uuids.push(ids.fan, ids.creator, ids.admin, conv.body.conversationId, sent.message?.id ?? crypto.randomUUID(), pay.body.payment?.id ?? crypto.randomUUID());
  sharedPools.int4Ids.push(...questions.body.questions.map((q) => q.id).slice(0, 5));
  sharedPools.strings.push('starter', 'usd', extra.body.refreshToken, tokens.fan, fan.user.email);
  sharedPools.uuids.push(upload.body.media.id, parts.body.media.id);
  expect(conv.status).toBe(201);
  expect(sent.ok).toBe(true);
  expect(pay.status).toBe(201);
  expect(upload.status).toBe(201);
  expect(parts.status).toBe(201);
}, 60_000);

/** PROPERTY_STATS=1 prints how often each route answered each status: a sweep that only ever gets 401 proves little. */
const stats = new Map<string, number>();

afterAll(async () => {
  if (process.env.PROPERTY_STATS) console.log([...stats].map(([k, n]) => `${k}: ${n}`).join('\n'));
  for (const s of sockets.values()) s.close();
  await node?.stop();
  await backing?.cleanup();
  mediaDir.remove();
});

/** Runs a property with the shared seed; a failure says how to replay it. */
async function check<T>(arb: fc.Arbitrary<T>, predicate: (v: T) => Promise<void>): Promise<void> {
  try {
    await fc.assert(fc.asyncProperty(arb, predicate), { numRuns: RUNS, seed: SEED });
  } catch (err) {
    (err as Error).message += `\nReplay: PROPERTY_SEED=${SEED} npx vitest run --config test/vitest.config.ts test/integration/input-sweep.test.ts`;
    throw err;
  }
}

async function authHeader(caller: Caller): Promise<Record<string, string>> {
  switch (caller) {
    case 'none':
      return {};
    case 'bogus':
      return { authorization: 'Bearer not.a.token' };
    case 'fresh':
    case 'spare': {
      const res = await http(url, 'POST', '/api/auth/login', { body: { email: caller === 'fresh' ? fanEmail : spareEmail, password: STRONG_PASSWORD } });
      return { authorization: `Bearer ${res.body.accessToken}` };
    }
    default:
      return { authorization: `Bearer ${tokens[caller]}` };
  }
}

function callers(spec: RouteSpec): fc.Arbitrary<Caller> {
  switch (spec.as) {
    case 'none':
      return fc.constantFrom<Caller>('none', 'bogus', 'fan');
    case 'admin':
      return fc.constantFrom<Caller>('admin', 'admin', 'admin', 'admin', 'admin', 'fan', 'none');
    case 'fresh':
      return fc.constantFrom<Caller>('fresh', 'fresh', 'none', 'bogus');
    case 'spare':
      return fc.constantFrom<Caller>('spare', 'spare', 'none', 'bogus');
    default:
      return fc.constantFrom<Caller>('fan', 'fan', 'creator', 'creator', 'admin', 'admin', 'none', 'bogus');
  }
}

const rawSegment = fc.oneof({ arbitrary: fc.constant(null), weight: 12 }, { arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%C0%80', '..', '%2F'), weight: 1 });

function requestArbitrary(key: string, spec: RouteSpec) {
  const [method] = key.split(' ') as [string, string];
  const pools = spec.subjects === 'others' ? otherPools : sharedPools;
  const params = Object.fromEntries(Object.entries(spec.params ?? {}).map(([k, s]) => [k, fc.tuple(inputArbitrary(s, pools), rawSegment)]));
  const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, s]) => [k, fc.option(inputArbitrary(s, pools), { freq: 8 })]));
  return fc.record({
    caller: callers(spec),
    params: fc.record(params),
    query: spec.query ? inputArbitrary(spec.query, pools) : fc.constant(undefined),
    body: method === 'GET' ? fc.constant(undefined) : spec.body ? inputArbitrary(spec.body, pools) : fc.option(fc.jsonValue(), { freq: 4 }),
    headers: fc.record(headers),
    transport: method === 'GET' ? fc.constant<BodyTransport>('json') : bodyTransport,
  });
}

async function sendRequest(key: string, r: ReturnType<typeof requestArbitrary> extends fc.Arbitrary<infer T> ? T : never): Promise<string> {
  const [method, pattern] = key.split(' ') as [string, string];
  const path = pattern.replace(/:(\w+)/g, (_m, name: string) => {
    const [value, raw] = r.params[name] as [unknown, string | null];
    return segment(value, raw);
  });
  const body = r.body === undefined && r.transport === 'json' ? { headers: {} } : encodeBody(r.body, r.transport);
  const headers: Record<string, string> = { ...(await authHeader(r.caller)), ...body.headers };
  for (const [k, v] of Object.entries(r.headers)) {
    if (v !== null && sendableHeader(stringify(v))) headers[k] = stringify(v);
  }
  const target = `${url}${path}${queryString(r.query)}`;
  const logged = problems.length;
  // A redirect is the answer (the sign-in callback's, to the web app): it is judged, not followed.
  const init = { method, headers, body: body.bytes, redirect: 'manual' } as const;
  const res = await fetch(target, init).catch((err: unknown) => {
    // undici reused a pooled connection the server was closing as idle (keep-alive race, seen once on a
    // loaded CI machine before any answer): send once more. A reset this input causes repeats and fails.
    if ((err as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw err;
    return fetch(target, init);
  });
  const text = await res.text();
  const summary = `${method} ${target.slice(0, 300)} → ${res.status} ${text.slice(0, 300)}`;
  if (process.env.PROPERTY_STATS) stats.set(`${key} ${res.status}`, (stats.get(`${key} ${res.status}`) ?? 0) + 1);
  if (res.status >= 500 || /"code":"INTERNAL"/.test(text)) throw new Error(summary);
  if (problems.length > logged) throw new Error(`${summary}\nlogged: ${problems.slice(logged).join('\n')}`);
  return summary;
}

describe('the route table', () => {
  it('lists exactly the routes the server mounts', () => {
    const mounted = mountedRoutes(node.pairly.app).sort();
    expect(mounted.filter((r) => !(r in ROUTES)), 'mounted but missing from ROUTES: add them with their schemas').toEqual([]);
    expect(Object.keys(ROUTES).filter((r) => !mounted.includes(r)), 'in ROUTES but not mounted').toEqual([]);
  });

  it('is what README.md documents: each route in exactly one row, and no row for a route that is not there', () => {
    const mounted = mountedRoutes(node.pairly.app);
    const rows = documentedRows(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const rowsOf = (route: string) => {
      const [method, path] = route.split(' ') as [string, string];
      return rows.filter((r) => r.methods.includes(method) && r.paths.includes(normalizePath(path)));
    };
    expect(mounted.filter((r) => rowsOf(r).length !== 1).map((r) => `${r}: ${rowsOf(r).length} rows`)).toEqual([]);
    const paths = new Set(mounted.map((r) => normalizePath(r.split(' ')[1]!)));
    expect(rows.flatMap((r) => r.paths.filter((p) => !paths.has(p)).map((p) => `${p} in ${r.line.slice(0, 80)}`))).toEqual([]);
  });
});

describe('every REST route, with generated and hostile input', () => {
  for (const [key, spec] of Object.entries(ROUTES)) {
    it(`${key} never answers 5xx or INTERNAL`, async () => {
      await check(requestArbitrary(key, spec), async (r) => void (await sendRequest(key, r)));
    }, 120_000);
  }
});

/** A connected socket for the role (and namespace), reconnected when the server cut it off (flooding, revocation). */
async function socketOf(role: 'fan' | 'creator' | 'admin', nsp = ''): Promise<ClientSocket> {
  const key = `${role}${nsp}`;
  const existing = sockets.get(key);
  if (existing?.connected) return existing;
  existing?.close();
  const s = await connect(`${url}${nsp}`, tokens[role]);
  sockets.set(key, s);
  return s;
}

type Shape = 'payload' | 'no-payload' | 'extra-args';

async function emitChecked(socket: ClientSocket, event: string, payload: unknown, shape: Shape): Promise<void> {
  const args = shape === 'no-payload' ? [] : shape === 'extra-args' ? [payload, 'extra', 42] : [payload];
  let ack: { ok: boolean; error?: { code: string } };
  const logged = problems.length;
  try {
    ack = await (socket.timeout(10_000) as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<typeof ack> }).emitWithAck(event, ...args);
  } catch (err) {
    // The server may cut off a socket it judged abusive; anything else without an ack is a dropped event.
    if (!socket.connected) return;
    throw new Error(`${event} got no ack: ${(err as Error).message}`);
  }
  const what = `${event} ${JSON.stringify(payload)?.slice(0, 300)} → ${JSON.stringify(ack).slice(0, 300)}`;
  if (!ack.ok && ack.error?.code === 'INTERNAL') throw new Error(what);
  if (problems.length > logged) throw new Error(`${what}\nlogged: ${problems.slice(logged).join('\n')}`);
}

describe('every socket event, with generated and hostile payloads', () => {
  const shapes = fc.oneof({ arbitrary: fc.constant<Shape>('payload'), weight: 8 }, { arbitrary: fc.constantFrom<Shape>('no-payload', 'extra-args'), weight: 1 });
  for (const [event, schema] of Object.entries(clientEventSchemas)) {
    it(`${event} is never answered INTERNAL`, async () => {
      const arb = fc.record({ role: fc.constantFrom('fan', 'creator', 'admin') as fc.Arbitrary<'fan' | 'creator' | 'admin'>, payload: inputArbitrary(schema, sharedPools), shape: shapes });
      await check(arb, async (r) => emitChecked(await socketOf(r.role), event, r.payload, r.shape));
    }, 120_000);
  }
  for (const [event, schema] of Object.entries(adminEventSchemas)) {
    it(`/admin ${event} is never answered INTERNAL`, async () => {
      await check(fc.record({ payload: inputArbitrary(schema, sharedPools), shape: shapes }), async (r) => emitChecked(await socketOf('admin', '/admin'), event, r.payload, r.shape));
    }, 120_000);
  }
  it('the handshake refuses any bad token, never with INTERNAL', async () => {
    const token = fc.oneof(fc.constantFrom(...HOSTILE_VALUES), fc.string({ maxLength: 600, unit: 'binary' }), fc.jsonValue());
    await check(fc.record({ token, nsp: fc.constantFrom('', '/admin') }), async (r) => {
      const refused = await connect(`${url}${r.nsp}`, undefined, { auth: { token: r.token } }).then(
        (s) => {
          s.close();
          return undefined;
        },
        (err: { data?: { code?: string } }) => err,
      );
      if (refused?.data?.code === 'INTERNAL') throw new Error(`token ${JSON.stringify(r.token)?.slice(0, 200)} → INTERNAL`);
    });
  }, 120_000);

  it('unknown events are answered, never INTERNAL', async () => {
    await check(fc.record({ event: fc.string({ maxLength: 80, unit: 'binary' }), payload: fc.jsonValue() }), async (r) => emitChecked(await socketOf('fan'), r.event, r.payload, 'payload'));
  }, 120_000);
});

describe('after the sweep', () => {
  it('the server is healthy and logged no errors', async () => {
    expect((await http(url, 'GET', '/readyz')).status).toBe(200);
    expect((await http(url, 'GET', '/api/me', { token: tokens.creator })).status).toBe(200);
    const ping = (await (await socketOf('fan')).emitWithAck('system:ping', {})) as { ok: boolean };
    expect(ping.ok).toBe(true);
    expect(problems).toEqual([]);
  });
});
