import { useChatLive, useUnreadTotal } from '../lib/chat-live.js';

/**
 * The unread count on the Chats link. Mounted once for a signed-in person
 * (in the layout's nav), so it is also where the chat stays live on every
 * page: pushes, chat:sync after reconnects, delivery receipts, resends.
 */
export function ChatsBadge() {
  useChatLive();
  const unread = useUnreadTotal();
  if (unread === 0) return null;
  return (
    <span className="badge" style={{ marginLeft: 6 }} data-testid="chats-unread">
      <span aria-hidden="true">{unread > 99 ? '99+' : unread}</span>
      <span className="visually-hidden">{unread} unread</span>
    </span>
  );
}
