import { Router } from 'express';
import { z } from 'zod';
import { createMassMessageBody, massAudienceBody, massMessagesQuery } from '../../../../shared/mass-messages.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import type { RouteDoc } from '../../http/route-docs.js';
import { parse } from '../../validate.js';
import type { MassMessagesService } from './mass-messages.service.js';

const id = z.uuid();

export function massMessagesRoutes(guards: Guards, service: MassMessagesService): Router {
  const r = Router();
  const { authed } = guards;
  const me = (res: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(res);
    return { userId: p.userId, role: p.role };
  };

  r.post('/mass-messages/audience', authed, async (req, res) => {
    const b = parse(massAudienceBody, req.body);
    res.json(await service.audienceSize(me(res), b.audience, b.exclude));
  });
  r.post('/mass-messages', authed, async (req, res) => {
    const b = parse(createMassMessageBody, req.body);
    const r2 = await service.create(me(res), b);
    res.status(r2.created ? 201 : 200).json(r2);
  });
  r.get('/mass-messages', authed, async (req, res) => {
    const q = parse(massMessagesQuery, req.query);
    res.json(await service.list(me(res).userId, q.before, q.limit));
  });
  r.get('/mass-messages/:id', authed, async (req, res) => {
    res.json({ massMessage: await service.get(me(res).userId, parse(id, req.params.id)) });
  });
  r.post('/mass-messages/:id/cancel', authed, async (req, res) => {
    res.json({ massMessage: await service.cancel(me(res).userId, parse(id, req.params.id)) });
  });
  return r;
}

export const massMessagesRouteDocs: RouteDoc[] = [
  { method: 'post', path: '/mass-messages/audience', summary: 'How many fans an audience reaches now (blocks and exclusions left out; creators only).', auth: 'user', body: massAudienceBody, response: { status: 200, description: '{ count }' } },
  { method: 'post', path: '/mass-messages', summary: 'Send (or schedule) one message to an audience: text, an attachment, a pay-to-view price (creators only).', auth: 'user', body: createMassMessageBody, response: { status: 201, description: '{ massMessage, created }' } },
  { method: 'get', path: '/mass-messages', summary: "The caller's mass messages with their stats, newest first.", auth: 'user', query: massMessagesQuery, response: { status: 200, description: '{ massMessages, nextBefore }' } },
  { method: 'get', path: '/mass-messages/:id', summary: 'One mass message with its stats (sent, read, unlocked, revenue).', auth: 'user', params: { id }, response: { status: 200, description: '{ massMessage }' } },
  { method: 'post', path: '/mass-messages/:id/cancel', summary: 'Stop sending: no further batches; the fans already reached keep it.', auth: 'user', params: { id }, response: { status: 200, description: '{ massMessage }' } },
];
