import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { MessageView } from '../../../shared/chat.js';
import { api, ApiError } from '../lib/api.js';
import { emit, useSocket, useSocketEvent } from '../lib/socket.js';
import { useSession } from '../lib/session.js';
import { requestCall } from '../lib/call-intent.js';
import { noteRead, sendOutgoing, startSend, useChatState, useConversation, useNow, useThreadSnapshot, useTyping } from '../lib/chat-live.js';
import { creditsText, presenceText } from '../lib/chat-format.js';
import type { ConversationItem, HistoryPage } from '../lib/chat-types.js';
import { ErrorNote, Loading } from './ui.js';
import { ChatAvatar } from './chat-avatar.js';
import { BackIcon, PhoneIcon, VideoIcon } from './chat-icons.js';
import { MessageLog } from './chat-messages.js';
import { Composer } from './chat-composer.js';
import { BlockDialog } from './chat-dialogs.js';
import { ReportDialog } from './report-dialog.js';
import { messagePreview } from '../lib/chat-format.js';
import { DeleteDialog, EditDialog } from './chat-change-dialogs.js';
import { deleteMessage, editMessage, toggleReaction } from '../lib/chat-actions.js';
import { errorText } from '../lib/error-text.js';
import type { MessageActions } from './chat-message-menu.js';

const PAGE = 30;
const blocksKey = ['blocks'] as const;

function BackLink() {
  return (
    <Link to="/chats" className="chat-back">
      <BackIcon />
      <span className="visually-hidden">Back to chats</span>
    </Link>
  );
}

/** One conversation: found in the list (or further pages of it), then shown. */
export function ThreadView({ conversationId }: { conversationId: string }) {
  const { conversation, isLoading, error, refetch } = useConversation(conversationId);
  if (conversation) return <ThreadReady key={conversationId} c={conversation} />;
  const notFound = error instanceof ApiError && (error.code === 'NOT_FOUND' || error.code === 'VALIDATION_FAILED');
  return (
    <section className="chat-thread chat-thread-state" aria-label="Conversation">
      <header className="chat-thread-head">
        <BackLink />
      </header>
      {isLoading || !error ? (
        <Loading label="Loading conversation" />
      ) : notFound ? (
        <div className="chat-empty">
          <p className="state-title">This conversation could not be found</p>
          <p>It may have been removed, or it belongs to another account.</p>
          <Link to="/chats" className="btn btn-secondary">
            Back to chats
          </Link>
        </div>
      ) : (
        <ErrorNote error={error} retry={refetch} />
      )}
    </section>
  );
}

function ThreadReady({ c }: { c: ConversationItem }) {
  const { store, me } = useChatState();
  const { user } = useSession();
  const { socket, catchUp } = useSocket();
  const qc = useQueryClient();
  const snap = useThreadSnapshot(c.id);
  const typing = useTyping(c.id).length > 0;
  const now = useNow();
  const [ended, setEnded] = useState(false);
  const [blocking, setBlocking] = useState(false);
  const [reporting, setReporting] = useState<MessageView | null>(null);
  const [replying, setReplying] = useState<MessageView | null>(null);
  const [editing, setEditing] = useState<MessageView | null>(null);
  const [deleting, setDeleting] = useState<MessageView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [older, setOlder] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const loadingOlder = useRef(false);
  const atBottom = useRef(true);
  const readSent = useRef(0);
  const peer = c.peer;

  // The newest page; older ones are added on demand. Messages merge into the store with sync and pushes.
  const latest = useQuery({
    queryKey: ['messages', c.id],
    staleTime: 0,
    queryFn: async () => {
      const page = await api<HistoryPage>(`/api/conversations/${c.id}/messages?limit=${PAGE}`);
      store.historyPage(c.id, { messages: page.messages, hasMore: page.hasMore, before: page.next && 'before' in page.next ? page.next.before : null });
      return page.messages.length;
    },
  });
  const blocks = useQuery({ queryKey: blocksKey, queryFn: () => api<{ blocks: { userId: string }[] }>('/api/blocks') });
  const iBlocked = blocks.data?.blocks.some((b) => b.userId === peer.id) ?? false;
  const refused = snap.outgoing.find((o) => o.error?.code === 'BLOCKED' || o.error?.code === 'CONVERSATION_CLOSED')?.error?.code;
  const closed = c.closed || ended || refused === 'CONVERSATION_CLOSED';
  // An unmatch (by either side, on any device) ends this conversation at once.
  useSocketEvent('match:unmatched', ({ conversationId }) => conversationId === c.id && setEnded(true));
  const cannotSend = closed || iBlocked || refused === 'BLOCKED';

  useEffect(() => {
    store.pointer(c.id, peer.id, 'delivered', c.peerDeliveredSeq);
    store.pointer(c.id, peer.id, 'read', c.peerReadSeq);
  }, [store, c.id, peer.id, c.peerDeliveredSeq, c.peerReadSeq]);

  const loadOlder = useCallback(() => {
    const o = store.thread(c.id).older;
    if (!o?.hasMore || o.before === null || loadingOlder.current) return;
    loadingOlder.current = true;
    setOlder({ loading: true, error: null });
    api<HistoryPage>(`/api/conversations/${c.id}/messages?before=${o.before}&limit=${PAGE}`)
      .then(
        (page) => {
          store.historyPage(c.id, { messages: page.messages, hasMore: page.hasMore, before: page.next && 'before' in page.next ? page.next.before : null });
          setOlder({ loading: false, error: null });
        },
        (error: unknown) => setOlder({ loading: false, error }),
      )
      .finally(() => {
        loadingOlder.current = false;
      });
  }, [store, c.id]);

  // Read while visible: the person is at the newest message and the page is in front.
  const readSeq = c.readSeq;
  const markRead = useCallback(() => {
    if (document.visibilityState !== 'visible' || !atBottom.current) return;
    const last = store.lastFromOthers(c.id, me);
    if (!last || last.seq <= Math.max(readSeq, readSent.current)) return;
    readSent.current = last.seq;
    emit(socket, 'chat:read', { conversationId: c.id, upToSeq: store.lastSeq(c.id) }).then(
      (r) => noteRead(qc, c.id, r.upToSeq, r.unread),
      () => {
        readSent.current = 0;
      },
    );
  }, [store, socket, qc, c.id, me, readSeq]);
  useEffect(() => markRead(), [markRead, snap, catchUp]);
  useEffect(() => {
    document.addEventListener('visibilitychange', markRead);
    return () => document.removeEventListener('visibilitychange', markRead);
  }, [markRead]);

  const ctx = { store, socket, qc, me };
  const actions: MessageActions = {
    onReact: (m, emoji) => void toggleReaction(ctx, m, emoji, me).catch((err: unknown) => setNotice(errorText(err))),
    onReply: (m) => setReplying(m),
    onEdit: (m) => setEditing(m),
    onDelete: (m) => setDeleting(m),
  };
  const status = closed ? 'Conversation ended' : (presenceText(peer.presence, peer.lastSeen, now) ?? (c.kind === 'match' ? 'Random match' : null));
  const nothingYet = snap.messages.length === 0 && snap.outgoing.length === 0;

  return (
    <section className="chat-thread" aria-labelledby={`thread-${c.id}`}>
      <header className="chat-thread-head">
        <BackLink />
        <ChatAvatar id={peer.id} name={peer.displayName} photo={peer.photo} presence={peer.presence} size="lg" />
        <div className="chat-thread-who">
          <h1 id={`thread-${c.id}`} className="chat-thread-name">
            {peer.displayName}
          </h1>
          {(typing || status) && <p className="chat-thread-status">{typing ? <em className="chat-typing-text">typing…</em> : status}</p>}
        </div>
        <div className="chat-thread-actions">
          {c.kind === 'direct' && !cannotSend && (
            <>
              <CallButton video={false} c={c} />
              <CallButton video c={c} />
            </>
          )}
          {!iBlocked && (
            <button type="button" className="btn btn-secondary chat-head-btn" onClick={() => setBlocking(true)}>
              Block
            </button>
          )}
        </div>
      </header>

      {notice && (
        <p className="chat-notice" role="status">
          {notice}{' '}
          <button type="button" className="btn btn-link" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      )}

      <MessageLog
        snap={snap}
        me={me}
        peer={peer}
        now={now}
        typing={typing}
        older={older}
        loadOlder={loadOlder}
        atBottom={atBottom}
        onAtBottom={markRead}
        onReport={setReporting}
        actions={actions}
        onRetry={(o, price) => void sendOutgoing({ ...ctx, socket }, c.id, o.clientId, price)}
        onDiscard={(o) => store.discard(c.id, o.clientId)}
        placeholder={
          nothingYet ? (
            latest.isPending ? (
              <Loading label="Loading messages" />
            ) : latest.isError ? (
              <ErrorNote error={latest.error} retry={() => void latest.refetch()} />
            ) : (
              <div className="chat-hello">
                <ChatAvatar id={peer.id} name={peer.displayName} photo={peer.photo} size="lg" />
                <p className="state-title">This is the start of your conversation with {peer.displayName}</p>
                {!cannotSend && (
                  <p>{c.kind === 'match' ? 'Say hello: you were matched at random, so ask what brought them here.' : 'Say hello: a question about something in their profile is a good start.'}</p>
                )}
              </div>
            )
          ) : latest.isError ? (
            <ErrorNote error={latest.error} retry={() => void latest.refetch()} />
          ) : null
        }
      />

      {closed ? (
        <p className="chat-ended" role="status">
          This conversation has ended. You can no longer send messages here.
        </p>
      ) : iBlocked ? (
        <p className="chat-ended" role="status">
          You blocked {peer.displayName}. You can unblock them in <Link to="/settings">Settings</Link>.
        </p>
      ) : refused === 'BLOCKED' ? (
        <p className="chat-ended" role="status">
          You cannot message {peer.displayName}.
        </p>
      ) : (
        <Composer
          key={c.id}
          conversationId={c.id}
          peerName={peer.displayName}
          price={c.messagePrice}
          // Creators sell attachments in direct conversations; nothing is sold in a random match.
          canSell={user?.role === 'creator' && c.kind === 'direct'}
          replyTo={replying ? { messageId: replying.id, senderId: replying.senderId, excerpt: replying.body.slice(0, 120) } : null}
          replyName={replying ? (replying.senderId === me ? 'yourself' : peer.displayName) : ''}
          onCancelReply={() => setReplying(null)}
          onSend={(body, attachment) => {
            atBottom.current = true;
            startSend(ctx, { conversationId: c.id, body, expectedPrice: c.messagePrice, attachment, ...(replying ? { replyTo: { messageId: replying.id, senderId: replying.senderId, excerpt: replying.body.slice(0, 120) } } : {}) });
            setReplying(null);
          }}
          onRefused={(err) => (err.code === 'CONVERSATION_CLOSED' ? setEnded(true) : undefined)}
        />
      )}

      {blocking && (
        <BlockDialog
          peer={peer}
          onClose={() => setBlocking(false)}
          onBlocked={() => {
            qc.setQueryData<{ blocks: { userId: string }[] }>(blocksKey, (b) => ({ blocks: [...(b?.blocks ?? []), { userId: peer.id }] }));
            void qc.invalidateQueries({ queryKey: blocksKey });
            setNotice(`You blocked ${peer.displayName}.`);
          }}
        />
      )}
      {editing && <EditDialog message={editing} onClose={() => setEditing(null)} onSave={(body) => editMessage(ctx, editing, body)} />}
      {deleting && <DeleteDialog message={deleting} mine={deleting.senderId === me} onClose={() => setDeleting(null)} onDelete={(scope) => deleteMessage(ctx, deleting, scope)} />}
      {reporting && (
        <ReportDialog
          subject="message"
          id={reporting.id}
          title="Report this message"
          quote={messagePreview(reporting)}
          onClose={() => setReporting(null)}
          onReported={() => setNotice('Thank you. Our moderators will look at this message.')}
        />
      )}
    </section>
  );
}

function CallButton({ video, c }: { video: boolean; c: ConversationItem }) {
  const price = c.peer.callPricePerMinute;
  const what = video ? 'Video call' : 'Voice call';
  const label = price > 0 ? `${what} · ${creditsText(price)} a minute` : what;
  return (
    <button
      type="button"
      className="btn btn-secondary chat-head-btn chat-call"
      title={label}
      onClick={() => requestCall({ toUserId: c.peer.id, displayName: c.peer.displayName, video, pricePerMinute: price })}
    >
      {video ? <VideoIcon /> : <PhoneIcon />}
      <span className="visually-hidden">{label}</span>
      {price > 0 && (
        <span className="chat-call-price" aria-hidden="true">
          {price}/min
        </span>
      )}
    </button>
  );
}
