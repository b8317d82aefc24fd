import { Fragment, useLayoutEffect, useRef, type ReactNode } from 'react';
import { Link } from 'react-router';
import type { MessageView } from '../../../shared/chat.js';
import type { PriceChanged } from '../../../shared/prices.js';
import { deliveryOf, type Delivery, type OutgoingMessage, type ThreadSnapshot } from '../lib/message-store.js';
import { creditsText, dayLabel, messagePreview, messageTime } from '../lib/chat-format.js';
import { ErrorNote } from './ui.js';
import { FlagIcon } from './chat-icons.js';
import { AttachmentView } from './chat-attachment.js';
import { MessageMenu, useMessageMenu, type MessageActions } from './chat-message-menu.js';

export interface LogProps {
  snap: ThreadSnapshot;
  me: string;
  peer: { id: string; displayName: string };
  now: number;
  typing: boolean;
  older: { loading: boolean; error: unknown };
  loadOlder: () => void;
  /** Shown where the messages would be while the first page loads, or when it failed with nothing to show. */
  placeholder?: ReactNode;
  /** The person is at the newest message (what marks messages read). */
  atBottom: { current: boolean };
  onAtBottom: () => void;
  onReport: (m: MessageView) => void;
  /** React, reply, edit, delete (the message menu). */
  actions: MessageActions;
  onRetry: (o: OutgoingMessage, expectedPrice?: number) => void;
  onDiscard: (o: OutgoingMessage) => void;
}

/**
 * The thread's messages: a log (role="log", polite) that scrolls by itself
 * to new messages while the person is at the bottom, keeps its place when
 * older messages are added above, and loads them when scrolled to the top.
 */
export function MessageLog(p: LogProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const prev = useRef<{ first?: string; last?: string; height: number } | null>(null);
  const { messages, outgoing, older } = p.snap;
  const peerPointers = p.snap.pointers.get(p.peer.id);
  const lastKey = outgoing.at(-1)?.clientId ?? messages.at(-1)?.id;
  const lastIsMineNew = outgoing.at(-1) !== undefined && outgoing.at(-1)!.status === 'pending';

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const before = prev.current;
    const first = messages[0]?.id;
    if (before && before.first && first !== before.first && messages.some((m) => m.id === before.first)) {
      // Older messages came in above: stay on the message the person was reading.
      el.scrollTop += el.scrollHeight - before.height;
    } else if (!before?.last || p.atBottom.current || (lastKey !== before.last && lastIsMineNew)) {
      el.scrollTop = el.scrollHeight;
      p.atBottom.current = true;
    }
    prev.current = { first, last: lastKey, height: el.scrollHeight };
  });

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    p.atBottom.current = atBottom;
    if (atBottom) p.onAtBottom();
    if (el.scrollTop < 120 && older?.hasMore && !p.older.loading && !p.older.error) p.loadOlder();
  };

  const menu = useMessageMenu();
  const nameOf = (id: string) => (id === p.me ? 'You' : p.peer.displayName);
  let lastDay = '';
  let lastSender = '';
  return (
    <div className="chat-scroll" ref={scroller} onScroll={onScroll}>
      <div className="chat-older">
        {older?.hasMore ? (
          p.older.error ? (
            <ErrorNote error={p.older.error} retry={p.loadOlder} />
          ) : (
            <button type="button" className="btn btn-link" onClick={p.loadOlder} disabled={p.older.loading}>
              {p.older.loading ? 'Loading older messages…' : 'Load older messages'}
            </button>
          )
        ) : older && messages.length > 0 ? (
          <p className="chat-beginning">This is the beginning of your conversation with {p.peer.displayName}.</p>
        ) : null}
      </div>
      {p.placeholder}
      <div role="log" aria-live="polite" aria-label={`Messages with ${p.peer.displayName}`} className="chat-log">
        <ol className="chat-messages">
          {messages.map((m) => {
            const day = new Date(m.createdAt).toDateString();
            const newDay = day !== lastDay;
            const grouped = !newDay && lastSender === m.senderId;
            lastDay = day;
            lastSender = m.senderId;
            const mine = m.senderId === p.me;
            return (
              <Fragment key={m.id}>
                {newDay && (
                  <li className="chat-day">
                    <span>{dayLabel(m.createdAt, p.now)}</span>
                  </li>
                )}
                <li className={`chat-msg ${mine ? 'mine' : 'theirs'}${grouped ? ' grouped' : ''}${m.deleted ? ' deleted' : ''}`} data-seq={m.seq} {...menu.bind(m.id)}>
                  <div className={`chat-bubble${m.attachment ? ' has-media' : ''}`}>
                    {!mine && <span className="visually-hidden">{p.peer.displayName}: </span>}
                    {m.replyTo && !m.deleted && (
                      <blockquote className="chat-quote">
                        <span className="chat-quote-who">{nameOf(m.replyTo.senderId)}</span>
                        <span className="chat-quote-text">{m.replyTo.excerpt || 'Photo or video'}</span>
                      </blockquote>
                    )}
                    {m.deleted ? (
                      <p className="chat-text chat-tombstone">{mine ? 'You deleted this message' : 'This message was deleted'}</p>
                    ) : (
                      <>
                        {m.attachment && <AttachmentView attachment={m.attachment} messageId={m.id} mine={mine} peerName={p.peer.displayName} />}
                        {m.body && <p className="chat-text">{m.body}</p>}
                      </>
                    )}
                    <span className="chat-meta">
                      {m.editedAt && !m.deleted && <span className="chat-edited">edited</span>}
                      {m.price > 0 && <span className="chat-paid">{creditsText(m.price)}</span>}
                      <time dateTime={m.createdAt}>{messageTime(m.createdAt)}</time>
                      {mine && <Ticks d={deliveryOf(m, peerPointers)} />}
                    </span>
                  </div>
                  {m.reactions.length > 0 && (
                    <div className="chat-reactions" aria-label="Reactions">
                      {m.reactions.map((r) => (
                        <button
                          key={r.emoji}
                          type="button"
                          className="chat-reaction"
                          aria-pressed={r.userIds.includes(p.me)}
                          title={r.userIds.map(nameOf).join(', ')}
                          onClick={() => p.actions.onReact(m, r.emoji)}
                        >
                          <span aria-hidden="true">{r.emoji}</span> {r.count}
                          <span className="visually-hidden"> {r.emoji} from {r.userIds.map(nameOf).join(' and ')}</span>
                        </button>
                      ))}
                    </div>
                  )}
                  <MessageMenu m={m} mine={mine} isOpen={menu.open === m.id} setOpen={menu.setOpen} actions={p.actions}>
                    {!mine && !m.deleted && (
                      <button type="button" className="chat-report" onClick={() => p.onReport(m)} title="Report this message">
                        <FlagIcon />
                        <span className="visually-hidden">Report message: {messagePreview(m).slice(0, 40)}</span>
                      </button>
                    )}
                  </MessageMenu>
                </li>
              </Fragment>
            );
          })}
          {outgoing.map((o) => {
            // A send lost to the connection waits for it (and goes out by itself); anything else needs the person.
            const waiting = o.status === 'failed' && o.error?.code === 'NETWORK';
            const state = waiting ? 'pending' : o.status;
            return (
              <li key={o.clientId} className={`chat-msg mine ${state}`}>
                <div className={`chat-bubble${o.attachment ? ' has-media' : ''}`}>
                  {o.replyTo && (
                    <blockquote className="chat-quote">
                      <span className="chat-quote-who">{nameOf(o.replyTo.senderId)}</span>
                      <span className="chat-quote-text">{o.replyTo.excerpt || 'Photo or video'}</span>
                    </blockquote>
                  )}
                  {o.attachment && <AttachmentView attachment={o.attachment} messageId={null} mine peerName={p.peer.displayName} />}
                  {o.body && <p className="chat-text">{o.body}</p>}
                  <span className="chat-meta">
                    {o.expectedPrice > 0 && <span className="chat-paid">{creditsText(o.expectedPrice)}</span>}
                    <Ticks d={state} />
                  </span>
                </div>
                {waiting ? (
                  <p className="chat-waiting">
                    Not sent yet: it goes out by itself when the connection is back.{' '}
                    <button type="button" className="btn btn-link" onClick={() => p.onRetry(o)}>
                      Retry now
                    </button>
                  </p>
                ) : (
                  o.status === 'failed' && <SendProblem o={o} onRetry={p.onRetry} onDiscard={p.onDiscard} />
                )}
              </li>
            );
          })}
        </ol>
      </div>
      {p.typing && (
        <div className="chat-typing" role="status">
          <span className="chat-typing-dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          {p.peer.displayName} is typing…
        </div>
      )}
    </div>
  );
}

const TICK: Record<Delivery, string> = { pending: 'Sending', failed: 'Not sent', sent: 'Sent', delivered: 'Delivered', read: 'Read' };

function Ticks({ d }: { d: Delivery }) {
  return (
    <span className={`chat-ticks chat-ticks-${d}`} title={TICK[d]}>
      <svg aria-hidden="true" viewBox="0 0 20 12" width="18" height="11">
        {d === 'pending' ? (
          <>
            <circle cx="10" cy="6" r="5" fill="none" stroke="currentColor" strokeWidth="1.5" />
            <path d="M10 3.3V6l1.8 1.2" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
          </>
        ) : d === 'failed' ? (
          <>
            <circle cx="10" cy="6" r="5.5" fill="currentColor" />
            <path d="M10 3v3.6M10 8.4v.4" stroke="#fff" strokeWidth="1.6" strokeLinecap="round" />
          </>
        ) : (
          <>
            <path d="M1.5 6.5l3 3 6-7" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
            {d !== 'sent' && <path d="M7.5 9.5l1 0 6-7" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />}
          </>
        )}
      </svg>
      <span className="visually-hidden">{TICK[d]}</span>
    </span>
  );
}

/** Why a send did not go out, and what the person can do: agree to a new price, buy credits, retry, or drop it. */
function SendProblem({ o, onRetry, onDiscard }: { o: OutgoingMessage; onRetry: LogProps['onRetry']; onDiscard: LogProps['onDiscard'] }) {
  const code = o.error?.code;
  if (code === 'PRICE_CHANGED') {
    const price = (o.error?.details as PriceChanged | undefined)?.price ?? 0;
    return (
      <div className="chat-problem" role="alert">
        <p>{price === 0 ? 'Messages here are free now.' : `The price changed: a message now costs ${creditsText(price)}.`} Send it?</p>
        <div className="chat-problem-actions">
          <button type="button" className="btn btn-primary" onClick={() => onRetry(o, price)}>
            {price === 0 ? 'Send for free' : `Send · ${creditsText(price)}`}
          </button>
          <button type="button" className="btn btn-link" onClick={() => onDiscard(o)}>
            Don’t send
          </button>
        </div>
      </div>
    );
  }
  if (code === 'INSUFFICIENT_CREDITS') {
    return (
      <div className="chat-problem" role="alert">
        <p>
          You do not have enough credits to send this message ({creditsText(o.expectedPrice)}). Nothing was charged.
        </p>
        <div className="chat-problem-actions">
          <Link to="/wallet" className="btn btn-primary">
            Buy credits
          </Link>
          <button type="button" className="btn btn-secondary" onClick={() => onRetry(o)}>
            Try again
          </button>
          <button type="button" className="btn btn-link" onClick={() => onDiscard(o)}>
            Don’t send
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="chat-problem" role="alert">
      <p>Not sent. {o.error?.message}</p>
      <div className="chat-problem-actions">
        <button type="button" className="btn btn-secondary" onClick={() => onRetry(o)}>
          Retry
        </button>
        <button type="button" className="btn btn-link" onClick={() => onDiscard(o)}>
          Don’t send
        </button>
      </div>
    </div>
  );
}
