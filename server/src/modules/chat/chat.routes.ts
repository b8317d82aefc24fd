import { Router } from 'express';
import { z } from 'zod';
import { historyQuery, openConversationBody, reportBody } from '../../../../shared/chat.js';
import { principalOf, requireAuth } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { AuthService } from '../auth/auth.service.js';
import type { PresenceService } from '../presence/presence.service.js';
import { toMessageView } from './chat.store.js';
import type { ChatService } from './chat.service.js';

export const conversationsQuery = z.strictObject({
  before: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});

export function chatRoutes(auth: AuthService, chat: ChatService, presence: PresenceService): Router {
  const r = Router();
  const authed = requireAuth(auth);

  r.get('/conversations', authed, async (req, res) => {
    const q = parse(conversationsQuery, req.query);
    const me = principalOf(res).userId;
    const rows = await chat.list(me, q.before ? new Date(q.before) : null, q.limit);
    const statuses = await presence.statuses(rows.map((c) => c.peer_id));
    res.json({
      conversations: rows.map((c) => ({
        id: c.id,
        kind: c.kind,
        peer: {
          id: c.peer_id,
          displayName: c.peer_name,
          role: c.peer_role,
          presence: statuses.get(c.peer_id)?.status ?? 'offline',
          lastSeen: statuses.get(c.peer_id)?.lastSeen ?? c.peer_last_seen?.toISOString() ?? null,
        },
        lastSeq: c.last_seq,
        lastMessage: c.last_message ? toMessageView({ ...c.last_message, created_at: new Date(c.last_message.created_at) }) : null,
        unread: c.unread,
        readSeq: c.read_seq,
        peerReadSeq: c.peer_read_seq,
        peerDeliveredSeq: c.peer_delivered_seq,
      })),
      nextCursor: rows.length === q.limit ? (rows.at(-1)!.last_message_at?.toISOString() ?? null) : null,
    });
  });

  r.post('/conversations', authed, async (req, res) => {
    const { userId } = parse(openConversationBody, req.body);
    res.status(201).json({ conversationId: await chat.openConversation(principalOf(res).userId, userId) });
  });

  r.get('/conversations/:id/messages', authed, async (req, res) => {
    const id = parse(z.uuid(), req.params.id);
    const q = parse(historyQuery, req.query);
    const messages = await chat.history(principalOf(res).userId, id, { before: q.before, after: q.after }, q.limit);
    res.json({ messages });
  });

  r.post('/messages/:id/report', authed, async (req, res) => {
    const id = parse(z.uuid(), req.params.id);
    const { reason } = parse(reportBody, req.body);
    const report = await chat.report(principalOf(res).userId, id, reason);
    res.status(report.created ? 201 : 200).json({ report });
  });

  return r;
}
