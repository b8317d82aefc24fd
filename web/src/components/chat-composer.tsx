import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link } from 'react-router';
import { MAX_MESSAGE_LENGTH, type MessageAttachment, type MessageReply } from '../../../shared/chat.js';
import { emit, useSocket } from '../lib/socket.js';
import { useWallet } from '../lib/queries.js';
import { ApiError } from '../lib/api.js';
import { creditsText } from '../lib/chat-format.js';
import { AttachButton, AttachmentTray, useAttachment } from './chat-attach.js';

/** How often a "still typing" renewal goes out while the person keeps typing (the server's indicator lasts longer). */
const TYPING_RENEW_MS = 3_000;
/** A pause this long ends the indicator. */
const TYPING_IDLE_MS = 4_000;

/**
 * The message box. Enter sends, Shift+Enter makes a new line. A priced
 * conversation says what a message costs before anything is sent, and the
 * button carries the price. Typing is announced to the peer, throttled.
 * A photo or video can go with the text (or alone): it uploads in the tray
 * above the box, with progress and cancel, and the message goes once it is
 * processed; a creator may ask a price to view it.
 */
export function Composer({
  conversationId,
  peerName,
  price,
  canSell,
  onSend,
  onRefused,
  replyTo,
  replyName,
  onCancelReply,
}: {
  conversationId: string;
  peerName: string;
  price: number;
  /** A creator in a direct conversation: attachments may be pay-to-view. */
  canSell: boolean;
  onSend: (body: string, attachment?: MessageAttachment) => void;
  /** The server refused a typing signal (the conversation ended, a block). */
  onRefused: (err: ApiError) => void;
  /** The message being answered, quoted above the box until sent or cancelled. */
  replyTo?: MessageReply | null;
  replyName?: string;
  onCancelReply?: () => void;
}) {
  const { socket } = useSocket();
  const wallet = useWallet();
  const [body, setBody] = useState('');
  const inputId = useId();
  const noteId = useId();
  const typing = useRef({ on: false, sentAt: 0, idle: undefined as ReturnType<typeof setTimeout> | undefined });
  const refused = useRef(onRefused);
  refused.current = onRefused;

  const signal = (on: boolean) => {
    const t = typing.current;
    clearTimeout(t.idle);
    if (on) {
      t.idle = setTimeout(() => signal(false), TYPING_IDLE_MS);
      if (t.on && Date.now() - t.sentAt < TYPING_RENEW_MS) return;
      t.sentAt = Date.now();
    } else if (!t.on) {
      return;
    }
    t.on = on;
    emit(socket, 'chat:typing', { conversationId, typing: on }).catch((err: unknown) => {
      if (err instanceof ApiError && (err.code === 'CONVERSATION_CLOSED' || err.code === 'BLOCKED')) refused.current(err);
    });
  };
  const signalRef = useRef(signal);
  signalRef.current = signal;
  // Leaving the thread ends the indicator.
  useEffect(() => () => signalRef.current(false), []);

  const box = useRef<HTMLTextAreaElement>(null);
  const replyId = replyTo?.messageId;
  // Choosing Reply puts the cursor in the box.
  useEffect(() => {
    if (replyId) box.current?.focus();
  }, [replyId]);

  const attach = useAttachment(canSell);
  const trimmed = body.trim();
  const tooLong = body.length > MAX_MESSAGE_LENGTH;
  // With an attachment the text is its caption, and may be empty; one still uploading or processing cannot go yet.
  const ready = attach.task === null || attach.ready;
  const canSend = (trimmed.length > 0 || attach.ready) && ready && !tooLong && attach.priceError === null;
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSend) return;
    onSend(trimmed ? body : '', attach.take() ?? undefined);
    setBody('');
    signal(false);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  const available = wallet.data?.available;
  const short = price > 0 && available !== undefined && available < price;
  return (
    <form className="chat-composer" onSubmit={submit}>
      {price > 0 && (
        <p className={`chat-price-note${short ? ' short' : ''}`} id={noteId}>
          <span className="chat-price-chip">{creditsText(price)}</span> Each message to {peerName} costs {creditsText(price)}, paid when it is sent.
          {available !== undefined && (
            <>
              {' '}
              You have {creditsText(available)}.
              {short && (
                <>
                  {' '}
                  <Link to="/wallet">Buy credits</Link>
                </>
              )}
            </>
          )}
        </p>
      )}
      {replyTo && (
        <div className="chat-replying" role="status">
          <span className="chat-quote">
            <span className="chat-quote-who">Replying to {replyName}</span>
            <span className="chat-quote-text">{replyTo.excerpt || 'Photo or video'}</span>
          </span>
          <button type="button" className="btn btn-link" onClick={onCancelReply}>
            Cancel reply
          </button>
        </div>
      )}
      <AttachmentTray attach={attach} peerName={peerName} />
      <div className="chat-composer-row">
        <AttachButton attach={attach} />
        <label htmlFor={inputId} className="visually-hidden">
          Message to {peerName}
        </label>
        <textarea
          ref={box}
          id={inputId}
          className="chat-input"
          rows={1}
          value={body}
          placeholder={attach.task ? 'Add a caption…' : 'Write a message…'}
          aria-describedby={price > 0 ? noteId : undefined}
          aria-invalid={tooLong ? true : undefined}
          onChange={(e) => {
            setBody(e.target.value);
            signal(e.target.value.trim().length > 0);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => signal(false)}
          enterKeyHint="send"
        />
        <button type="submit" className="btn btn-primary chat-send" disabled={!canSend}>
          {price > 0 ? `Send · ${creditsText(price)}` : 'Send'}
        </button>
      </div>
      {tooLong && (
        <p className="field-error" role="alert">
          That is {body.length - MAX_MESSAGE_LENGTH} characters too long.
        </p>
      )}
    </form>
  );
}
