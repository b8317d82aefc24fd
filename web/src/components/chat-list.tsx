import { useId, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../lib/api.js';
import { keys } from '../lib/queries.js';
import { CONVERSATION_PAGE } from '../lib/conversation-pages.js';
import { Link } from 'react-router';
import { ErrorNote, Loading } from './ui.js';
import { ChatAvatar } from './chat-avatar.js';
import { BubblesIcon } from './chat-icons.js';
import { useChatState, useConversations, useNow, useTyping } from '../lib/chat-live.js';
import { creditsText, listTime, messagePreview, presenceText } from '../lib/chat-format.js';
import type { ConversationItem, ConversationPage } from '../lib/chat-types.js';

/** The conversation list: newest first, unread counts, presence, the last message, prices; live through the query cache. */
export function ConversationList({ activeId, heading = 'h1' }: { activeId?: string; heading?: 'h1' | 'h2' }) {
  const list = useConversations();
  const headingId = useId();
  const Heading = heading;
  return (
    <section className="chat-list" aria-labelledby={headingId}>
      <header className="chat-list-head">
        <Heading id={headingId} className="chat-list-title">
          Chats
        </Heading>
      </header>
      {list.isPending ? (
        <Loading label="Loading conversations" />
      ) : list.isError ? (
        <ErrorNote error={list.error} retry={() => void list.refetch()} />
      ) : list.data.conversations.length === 0 ? (
        <div className="chat-empty">
          <div className="chat-empty-art">
            <BubblesIcon />
          </div>
          <p className="state-title">No conversations yet</p>
          <p>When you and someone like each other, your conversation starts here.</p>
          <Link to="/discover" className="btn btn-primary">
            Find people in Discover
          </Link>
        </div>
      ) : (
        <div className="chat-rows-scroll">
          <ul className="chat-rows">
            {list.data.conversations.map((c) => (
              <ConversationRow key={c.id} c={c} active={c.id === activeId} />
            ))}
          </ul>
          {list.data.nextCursor && <MoreConversations cursor={list.data.nextCursor} />}
        </div>
      )}
    </section>
  );
}

/** The next page of older conversations, appended to the cached list (a refetch starts from the first page again). */
function MoreConversations({ cursor }: { cursor: string }) {
  const qc = useQueryClient();
  const [state, setState] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const more = () => {
    setState({ loading: true, error: null });
    api<ConversationPage>(`/api/conversations?limit=${CONVERSATION_PAGE}&before=${encodeURIComponent(cursor)}`).then(
      (page) => {
        qc.setQueryData<ConversationPage>(keys.conversations, (old) => {
          if (!old) return old;
          const have = new Set(old.conversations.map((c) => c.id));
          return { conversations: [...old.conversations, ...page.conversations.filter((c) => !have.has(c.id))], nextCursor: page.nextCursor };
        });
        setState({ loading: false, error: null });
      },
      (error: unknown) => setState({ loading: false, error }),
    );
  };
  return (
    <div className="chat-more">
      {state.error ? (
        <ErrorNote error={state.error} retry={more} />
      ) : (
        <button type="button" className="btn btn-link" onClick={more} disabled={state.loading}>
          {state.loading ? 'Loading…' : 'Show older conversations'}
        </button>
      )}
    </div>
  );
}

function ConversationRow({ c, active }: { c: ConversationItem; active: boolean }) {
  const { me } = useChatState();
  const now = useNow();
  const typing = useTyping(c.id).length > 0;
  const presence = presenceText(c.peer.presence, c.peer.lastSeen, now);
  const last = c.lastMessage;
  const unread = c.unread > 0;
  return (
    <li>
      <Link to={`/chats/${c.id}`} className={`chat-row${active ? ' active' : ''}${unread ? ' unread' : ''}`} aria-current={active ? 'page' : undefined}>
        <ChatAvatar id={c.peer.id} name={c.peer.displayName} photo={c.peer.photo} presence={c.peer.presence} />
        <span className="chat-row-main">
          <span className="chat-row-top">
            <span className="chat-row-name">{c.peer.displayName}</span>
            {last && (
              <time className="chat-row-time" dateTime={last.createdAt}>
                {listTime(last.createdAt, now)}
              </time>
            )}
          </span>
          <span className="chat-row-bottom">
            <span className="chat-row-preview">
              {typing ? (
                <em className="chat-typing-text">typing…</em>
              ) : last ? (
                <>
                  {last.senderId === me && <span className="chat-row-you">You: </span>}
                  {messagePreview(last)}
                </>
              ) : (
                <span className="chat-row-new">No messages yet: say hello</span>
              )}
            </span>
            {unread && (
              <span className="badge chat-row-unread">
                <span aria-hidden="true">{c.unread > 99 ? '99+' : c.unread}</span>
                <span className="visually-hidden">{c.unread} unread</span>
              </span>
            )}
          </span>
          <span className="chat-row-tags">
            {presence && <span className={`chat-presence chat-presence-${c.peer.presence}`}>{presence}</span>}
            {c.kind === 'match' && <span className="chat-tag">Random match</span>}
            {c.messagePrice > 0 && <span className="chat-tag chat-tag-price">{creditsText(c.messagePrice)} / message</span>}
          </span>
        </span>
      </Link>
    </li>
  );
}
