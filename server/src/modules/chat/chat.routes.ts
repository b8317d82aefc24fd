import { Router } from 'express';
import { z } from 'zod';
import { historyQuery, messageSearchQuery, openConversationBody, unlockBody } from '../../../../shared/chat.js';
import { isoTimestamp } from '../../../../shared/input.js';
import type { MediaView } from '../../../../shared/media.js';
import { principalOf, type Guards } from '../../http/auth.middleware.js';
import { parse } from '../../validate.js';
import type { PresenceService } from '../presence/presence.service.js';
import { pricesFor } from '../../prices.js';
import { toMessageView, type ConversationListRow } from './chat.store.js';
import type { ChatService } from './chat.service.js';
import type { RouteDoc } from '../../http/route-docs.js';

export const conversationsQuery = z.strictObject({
  // The previous page's nextCursor, passed to PostgreSQL as text (microseconds kept).
  before: isoTimestamp().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
});

/** Users' avatars as anyone sees them (profiles' rule), for the conversation list. */
export type Avatars = (userIds: string[]) => Promise<Map<string, MediaView | null>>;

export function chatRoutes(guards: Guards, chat: ChatService, presence: PresenceService, avatars: Avatars): Router {
  const r = Router();
  const { authed } = guards;

  r.get('/conversations', authed, async (req, res) => {
    const q = parse(conversationsQuery, req.query);
    const { userId: me, role } = principalOf(res);
    const rows = await chat.list(me, q.before ?? null, q.limit);
    // Presence only of peers this user is engaged with (the same rule as presence:update); null for the rest.
    const peerIds = rows.map((c) => c.peer_id);
    const [seen, photos] = await Promise.all([presence.visibleTo(me, peerIds), avatars(peerIds)]);
    // What this user pays the peer; a message in a random-match conversation is free whoever the peer is.
    const prices = (c: ConversationListRow) => pricesFor(role, { role: c.peer_role, message_price: c.peer_message_price, call_price_per_minute: c.peer_call_price });
    res.json({
      conversations: rows.map((c) => ({
        id: c.id,
        kind: c.kind,
        /** The price of a message here: what to send as expectedPrice. */
        messagePrice: c.kind === 'match' ? 0 : prices(c).messagePrice,
        peer: {
          id: c.peer_id,
          displayName: c.peer_name,
          role: c.peer_role,
          photo: photos.get(c.peer_id) ?? null,
          ...prices(c),
          presence: seen.get(c.peer_id)?.status ?? null,
          lastSeen: seen.has(c.peer_id) ? (seen.get(c.peer_id)!.lastSeen ?? c.peer_last_seen?.toISOString() ?? null) : null,
        },
        lastSeq: c.last_seq,
        lastMessage: c.last_message ? toMessageView({ ...c.last_message, created_at: new Date(c.last_message.created_at) }) : null,
        unread: c.unread,
        readSeq: c.read_seq,
        peerReadSeq: c.peer_read_seq,
        peerDeliveredSeq: c.peer_delivered_seq,
        /** Ended: a random match's session is over, or the pair unmatched. Nothing more can be sent. */
        closed: c.closed,
      })),
      // A conversation without messages sorts (and pages) by when it was opened.
      nextCursor: rows.length === q.limit ? rows.at(-1)!.sort_at : null,
    });
  });

  r.post('/conversations', authed, async (req, res) => {
    const { userId } = parse(openConversationBody, req.body);
    const c = await chat.openConversation(principalOf(res).userId, userId);
    res.status(c.created ? 201 : 200).json({ conversationId: c.id });
  });

  r.get('/conversations/:id/messages', authed, async (req, res) => {
    const id = parse(z.uuid(), req.params.id);
    const q = parse(historyQuery, req.query);
    res.json(await chat.history(principalOf(res).userId, id, { before: q.before, after: q.after }, q.limit));
  });

  r.get('/messages/search', authed, async (req, res) => {
    const q = parse(messageSearchQuery, req.query);
    res.json(await chat.search(principalOf(res).userId, q.q, q.conversationId, q.limit));
  });

  r.post('/messages/:id/unlock', authed, async (req, res) => {
    const id = parse(z.uuid(), req.params.id);
    const { expectedPrice } = parse(unlockBody, req.body);
    res.json(await chat.unlock(principalOf(res), id, expectedPrice));
  });

  return r;
}

export const chatRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/conversations', summary: "The caller's conversations with peer, prices, presence and unread counts.", auth: 'user', query: conversationsQuery, response: { status: 200, description: '{ conversations, nextCursor }' } },
  { method: 'post', path: '/conversations', summary: 'Open (or find) the conversation with a user.', auth: 'user', body: openConversationBody, response: { status: 201, description: '{ conversationId } (200 when it already existed)' } },
  { method: 'get', path: '/conversations/:id/messages', summary: "A conversation's messages by sequence number.", auth: 'user', params: { id: z.uuid() }, query: historyQuery, response: { status: 200, description: 'messages and paging' } },
  { method: 'get', path: '/messages/search', summary: "Full-text search over the caller's conversations (or one of them), newest first; deleted and hidden messages are not found.", auth: 'user', query: messageSearchQuery, response: { status: 200, description: '{ messages }' } },
  {
    method: 'post',
    path: '/messages/:id/unlock',
    summary: "Pay to see a message's pay-to-view attachment, at the price shown (expectedPrice); once per viewer.",
    auth: 'user',
    params: { id: z.uuid() },
    body: unlockBody,
    response: { status: 200, description: '{ media, charged, replayed }' },
  },
];
