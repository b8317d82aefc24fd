import { clientEventSchemas, type ServerToClientEvents } from '../../../shared/events.js';
import { jsonSchema } from './openapi.js';

/**
 * Server pushes have TypeScript payload types, not zod schemas: each is
 * described here in words (the compiler holds this list to
 * ServerToClientEvents, so a new push cannot go undocumented).
 */
const serverEvents: Record<keyof ServerToClientEvents, string> = {
  'me:updated': "{ user }: the user's own profile changed (any device, any node).",
  'chat:message': 'MessageView: a new message, to every device of the recipient and the sender\'s other devices.',
  'chat:delivered': '{ conversationId, userId, upToSeq }: the peer confirmed receipt up to a sequence number.',
  'chat:read': '{ conversationId, userId, upToSeq }: the peer read up to a sequence number.',
  'chat:changed': 'MessageView: a message was reacted to, edited or deleted for everyone; apply it when its changeSeq is higher than the one held.',
  'chat:hidden': '{ conversationId, messageId }: the user deleted a message for themselves on another device.',
  'chat:typing': '{ conversationId, userId, typing, expiresInMs }: volatile; ends by itself unless renewed.',
  'presence:update': '{ updates: PresenceView[] }: presence of people the user has a conversation with, batched.',
  'match:found': 'MatchFound: a random match, the peer\'s public summary and the session\'s conversation.',
  'match:ended': '{ sessionId, reason }: the peer skipped, left or disconnected (skip, leave, disconnect, blocked), or a snapshot of one side was nude (nudity: sent to both).',
  'call:ringing': '{ call, from: { userId, displayName } }: an incoming call, on every device of the callee.',
  'call:accepted': "{ call, media }: the callee accepted; the caller's media credentials.",
  'call:elsewhere': '{ callId }: answered or taken over on another of this user\'s devices.',
  'call:ended': '{ call, reason }: the call ended.',
  'match:mutual': '{ userId, conversationId }: a like became mutual.',
  'match:unmatched': '{ userId, conversationId }: a match ended (either side unmatched); its conversation is closed for both.',
  'wallet:updated': '{ available, held, debt, earnings }: the wallet or the earnings changed (a purchase, a spend, a hold, a refund; to the payee of a paid message or call minute too); sent after the commit.',
  'verification:updated': "{ verification: { verified, submission } }: the user's creator verification was submitted, approved or rejected (the reason in submission.reason).",
  'media:updated': "{ media }: one of the user's uploads was processed (state ready, or rejected with rejectReason), moderated or deleted; the owner's view with fresh signed URLs.",
  'subscription:price_changed': '{ creatorId, creator: { id, handle, displayName }, tierId, tierName, price, effectiveAt }: a subscribed tier will cost more; renewals on or after effectiveAt pay price.',
  'subscription:updated': "{ subscription, reason }: one of the fan's subscriptions renewed, went into grace (not enough credits) or expired; or the fan changed it (cancel, resume, tier change: reason changed, for their other devices).",
  'tip:received': '{ tip }: the creator received a tip (every device).',
  'subscriber:joined': '{ subscriber: { subscriptionId, fanId, fanName, tierName, trial, months, amount, at } }: the creator has a new subscriber, paid or on a free trial (every device).',
  'mass-message:progress': '{ id, status, sent, total }: one of the creator\'s mass messages reached more fans (after every batch), finished, or was cancelled.',
  'auth:expired': '{ expiredAt }: the access token expired; the socket closes right after.',
  'auth:revoked': '{ reason, standing? }: the session was logged out or revoked; the socket closes right after. standing: the suspension or ban that ended it (as account:standing, with the appeal token).',
  'report:decided': '{ reportId, status, action }: an admin decided on a report I filed.',
  'account:standing': '{ decisionId, action, reason, until, appealToken? }: an admin decided on my account (warn, remove_content, suspend, ban, restore); for a suspension or ban (with the token to appeal with, signed out) my sessions end right after.',
  'notification:new': '{ notification, unread }: a new notification, or a collapsed one counting one more event (same id, higher count), with the unread count; every device.',
  'notification:read': '{ id, unread }: notifications were read on one of the user\'s devices (id null: all), with the unread count left.',
  'system:shutdown': '{ nodeId, reconnect: true }: this node is going away; reconnect.',
  'system:resync': '{ nodeId }: pushes may have been missed while this node was away from Redis (a restart or failover); catch up as after a reconnection (chat:sync, refetch). The socket stayed open.',
  'system:error': '{ event, error }: an event sent without an ack callback failed.',
};

/** An AsyncAPI 3.0-shaped reference of the Socket.IO contract: client events with their payload schemas, server pushes by name. */
export function eventsDocument(info: { version: string }) {
  const message = (name: string, description: string, payload?: unknown) => ({ name, title: name, summary: description, ...(payload ? { payload } : {}) });
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Pairly socket events',
      version: info.version,
      description:
        'Socket.IO on the node\'s origin, token in the handshake auth ({ token }). Every client event is acknowledged with { ok: true, ...result } or { ok: false, error: { code, message } }.',
    },
    channels: {
      clientEvents: { address: 'client → server', messages: Object.fromEntries(Object.entries(clientEventSchemas).map(([name, schema]) => [name, message(name, 'acknowledged with { ok, ... }', jsonSchema(schema))])) },
      serverEvents: { address: 'server → client', messages: Object.fromEntries(Object.entries(serverEvents).map(([name, text]) => [name, message(name, text)])) },
    },
    operations: {
      send: { action: 'receive', channel: { $ref: '#/channels/clientEvents' } },
      push: { action: 'send', channel: { $ref: '#/channels/serverEvents' } },
    },
  };
}
