import { Router } from 'express';
import { z } from 'zod';
import {
  changeTierBody,
  creatorsQuery,
  handle,
  listQuery,
  pageBody,
  resumeBody,
  subscribeBody,
  tierBody,
  tierUpdateBody,
  tipBody,
  trialBody,
  trialCode,
} from '../../../../shared/creators.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { CreatorsService } from './creators.service.js';
import type { SubscriptionsService } from './subscriptions.service.js';

const empty = z.strictObject({});
const id = z.uuid();

/** Creator routes, all for signed-in users; the /creator/* ones act on the caller's own page. */
export function creatorsRoutes(guards: Guards, creators: CreatorsService, subs: SubscriptionsService): Router {
  const r = Router();
  const { authed } = guards;
  const me = (res: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(res);
    return { userId: p.userId, role: p.role };
  };

  r.get('/creators', authed, async (req, res) => {
    res.json(await creators.list(me(res), parse(creatorsQuery, req.query)));
  });
  r.get('/creators/:handle', authed, async (req, res) => {
    res.json({ creator: await creators.page(me(res), parse(handle, req.params.handle)) });
  });
  r.post('/creators/:handle/follow', authed, async (req, res) => {
    parse(empty, req.body ?? {});
    res.json(await creators.follow(me(res).userId, parse(handle, req.params.handle)));
  });
  r.delete('/creators/:handle/follow', authed, async (req, res) => {
    res.json(await creators.unfollow(me(res).userId, parse(handle, req.params.handle)));
  });
  r.post('/creators/:handle/subscribe', authed, async (req, res) => {
    const h = parse(handle, req.params.handle);
    const result = await subs.subscribe(me(res), h, parse(subscribeBody, req.body));
    res.status(result.created ? 201 : 200).json({ subscription: result.subscription, charged: result.charged, replayed: result.replayed });
  });

  r.get('/subscriptions', authed, async (_req, res) => {
    res.json({ subscriptions: await subs.mine(me(res).userId) });
  });
  r.post('/subscriptions/:id/cancel', authed, async (req, res) => {
    parse(empty, req.body ?? {});
    res.json({ subscription: await subs.cancel(me(res).userId, parse(id, req.params.id)) });
  });
  r.post('/subscriptions/:id/resume', authed, async (req, res) => {
    const { expectedPrice } = parse(resumeBody, req.body);
    res.json({ subscription: await subs.resume(me(res).userId, parse(id, req.params.id), expectedPrice) });
  });
  r.post('/subscriptions/:id/tier', authed, async (req, res) => {
    const b = parse(changeTierBody, req.body);
    res.json({ subscription: await subs.changeTier(me(res).userId, parse(id, req.params.id), b.tierId, b.expectedPrice) });
  });
  r.get('/trials/:code', authed, async (req, res) => void res.json({ trial: await subs.trialTerms(me(res), parse(trialCode, req.params.code)) }));
  r.post('/trials/:code/claim', authed, async (req, res) => {
    parse(empty, req.body ?? {});
    res.status(201).json(await subs.claimTrial(me(res), parse(trialCode, req.params.code)));
  });
  r.post('/tips', authed, async (req, res) => {
    const result = await subs.tip(me(res), parse(tipBody, req.body));
    res.status(result.replayed ? 200 : 201).json(result);
  });

  r.get('/creator/page', authed, async (_req, res) => {
    res.json({ creator: await creators.myPage(me(res)) });
  });
  r.put('/creator/page', authed, async (req, res) => {
    res.json({ creator: await creators.putPage(me(res), parse(pageBody, req.body)) });
  });
  r.post('/creator/tiers', authed, async (req, res) => {
    res.status(201).json({ tier: await creators.createTier(me(res), parse(tierBody, req.body)) });
  });
  r.patch('/creator/tiers/:id', authed, async (req, res) => {
    const tierId = parse(id, req.params.id);
    res.json({ tier: await creators.updateTier(me(res), tierId, parse(tierUpdateBody, req.body)) });
  });
  r.delete('/creator/tiers/:id', authed, async (req, res) => {
    res.json({ tier: await creators.archiveTier(me(res), parse(id, req.params.id)) });
  });
  r.get('/creator/subscribers', authed, async (req, res) => {
    const q = parse(listQuery, req.query);
    res.json(await subs.subscribers(me(res).userId, q.cursor, q.limit));
  });
  r.get('/creator/tips', authed, async (req, res) => {
    const q = parse(listQuery, req.query);
    res.json(await subs.tips(me(res).userId, q.cursor, q.limit));
  });
  r.post('/creator/trials', authed, async (req, res) => {
    res.status(201).json({ trial: await creators.createTrialLink(me(res), parse(trialBody, req.body)) });
  });
  r.get('/creator/trials', authed, async (_req, res) => {
    res.json({ trials: await creators.trialLinks(me(res)) });
  });
  r.delete('/creator/trials/:id', authed, async (req, res) => {
    res.json({ trial: await creators.revokeTrialLink(me(res), parse(id, req.params.id)) });
  });
  return r;
}

export const creatorsRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/creators', summary: 'Creators, searched by text (q: handles, names, tags and bios, typos allowed), filtered (tags, price of the cheapest tier, free trial) and sorted (relevance with q, popular, new), cursor-paged.', auth: 'user', query: creatorsQuery, response: { status: 200, description: '{ creators, nextCursor }' } },
  { method: 'get', path: '/creators/:handle', summary: "A creator's page: bio, links, pictures, counts, tiers with the viewer's prices, and the viewer's follow and subscription.", auth: 'user', params: { handle }, response: { status: 200, description: '{ creator }' } },
  { method: 'post', path: '/creators/:handle/follow', summary: 'Follow a creator (free; idempotent).', auth: 'user', params: { handle }, body: empty, response: { status: 200, description: '{ follows, followerCount }' } },
  { method: 'delete', path: '/creators/:handle/follow', summary: 'Unfollow a creator (idempotent).', auth: 'user', params: { handle }, response: { status: 200, description: '{ follows, followerCount }' } },
  { method: 'post', path: '/creators/:handle/subscribe', summary: 'Subscribe at a tier for 1, 3, 6 or 12 periods of 30 days, paid now at the price shown (expectedPrice).', auth: 'user', params: { handle }, body: subscribeBody, response: { status: 201, description: '{ subscription, charged, replayed } (200 for a replay or a renewal from grace)' } },
  { method: 'get', path: '/subscriptions', summary: "The caller's subscriptions as a fan.", auth: 'user', response: { status: 200, description: '{ subscriptions }' } },
  { method: 'post', path: '/subscriptions/:id/cancel', summary: 'Stop renewing: access to the end of the period, then expired.', auth: 'user', params: { id }, body: empty, response: { status: 200, description: '{ subscription }' } },
  { method: 'post', path: '/subscriptions/:id/resume', summary: "Renew after all (undo a cancel, or a trial's opt-in), at the renewal price shown.", auth: 'user', params: { id }, body: resumeBody, response: { status: 200, description: '{ subscription }' } },
  { method: 'post', path: '/subscriptions/:id/tier', summary: "Change tier from the next renewal, at the new tier's renewal price shown.", auth: 'user', params: { id }, body: changeTierBody, response: { status: 200, description: '{ subscription }' } },
  { method: 'get', path: '/trials/:code', summary: 'What a free-trial link gives (creator, tier, days, the price after), before claiming it.', auth: 'user', params: { code: trialCode }, response: { status: 200, description: '{ trial }' } },
  { method: 'post', path: '/trials/:code/claim', summary: "Claim a creator's free-trial link (once per fan).", auth: 'user', params: { code: trialCode }, body: empty, response: { status: 201, description: '{ subscription }' } },
  { method: 'post', path: '/tips', summary: 'Tip a creator (on their page, a post or a message); idempotent per clientId.', auth: 'user', body: tipBody, response: { status: 201, description: '{ tip, replayed } (200 for a replay)' } },
  { method: 'get', path: '/creator/page', summary: "The caller's own creator page.", auth: 'user', response: { status: 200, description: '{ creator }' } },
  { method: 'put', path: '/creator/page', summary: "Create or change the caller's creator page (creators only).", auth: 'user', body: pageBody, response: { status: 200, description: '{ creator }' } },
  { method: 'post', path: '/creator/tiers', summary: 'Add a subscription tier.', auth: 'user', body: tierBody, response: { status: 201, description: '{ tier }' } },
  { method: 'patch', path: '/creator/tiers/:id', summary: 'Change a tier; a higher price is announced and reaches renewals only after the notice.', auth: 'user', params: { id }, body: tierUpdateBody, response: { status: 200, description: '{ tier }' } },
  { method: 'delete', path: '/creator/tiers/:id', summary: 'Archive a tier (no new subscribers).', auth: 'user', params: { id }, response: { status: 200, description: '{ tier }' } },
  { method: 'get', path: '/creator/subscribers', summary: "The caller's subscribers, newest first.", auth: 'user', query: listQuery, response: { status: 200, description: '{ subscribers, nextCursor }' } },
  { method: 'get', path: '/creator/tips', summary: 'Tips the caller received, newest first.', auth: 'user', query: listQuery, response: { status: 200, description: '{ tips, nextCursor }' } },
  { method: 'post', path: '/creator/trials', summary: 'Create a free-trial link for a tier.', auth: 'user', body: trialBody, response: { status: 201, description: '{ trial }' } },
  { method: 'get', path: '/creator/trials', summary: "The caller's free-trial links.", auth: 'user', response: { status: 200, description: '{ trials }' } },
  { method: 'delete', path: '/creator/trials/:id', summary: 'Revoke a free-trial link.', auth: 'user', params: { id }, response: { status: 200, description: '{ trial }' } },
];
