import { useEffect, useId, useReducer, useRef, useState, type FormEvent } from 'react';
import type { MatchFound, MatchMode } from '../../../shared/match.js';
import type { MessageView } from '../../../shared/chat.js';
import { api, ApiError } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { addInterest, leaveUntilAnswered, MAX_INTERESTS, matchRefusalText, mergeMessage, randomReducer, type RandomPhase } from '../lib/random-state.js';
import { useSession } from '../lib/session.js';
import { emit, useSocket, useSocketEvent } from '../lib/socket.js';
import { PageTitle } from '../components/ui.js';
import { useVideoRoom, VideoTile } from '../components/video-room.js';
import { useSnapshots } from '../components/random-snapshots.js';
import { ProfileAvatar } from '../components/profile-avatar.js';
import { Media } from '../components/media.js';
import './random.css';

const PREFS_KEY = 'pairly.random';

function loadPrefs(): { mode: MatchMode; interests: string[] } {
  try {
    const raw = JSON.parse(localStorage.getItem(PREFS_KEY) ?? 'null') as { mode?: unknown; interests?: unknown } | null;
    const mode: MatchMode = raw?.mode === 'video' ? 'video' : 'text';
    const interests = Array.isArray(raw?.interests) ? raw.interests.filter((i): i is string => typeof i === 'string').slice(0, MAX_INTERESTS) : [];
    return { mode, interests };
  } catch {
    return { mode: 'text', interests: [] };
  }
}

/** A refusal with a wait (RATE_LIMITED): the words, and when the action is allowed again. */
interface Refusal {
  text: string;
  until?: number;
}

function refusalOf(err: unknown, action: 'join' | 'skip'): Refusal {
  const code = err instanceof ApiError ? err.code : '';
  const retry = err instanceof ApiError ? err.retryAfterSeconds : undefined;
  const text = matchRefusalText(code, retry, action) ?? errorText(err);
  return { text, until: code === 'RATE_LIMITED' && retry ? Date.now() + retry * 1000 : undefined };
}

/**
 * Random match, Omegle-style: text or video with a stranger, paired first
 * by shared interests. Start joins the queue (match:join); a match shows
 * who they are and a chat; Skip (match:next) ends it and waits for the next
 * person; Leave ends it. The chat is the session's conversation: messages
 * are free whoever the stranger is.
 */
export default function Random() {
  const { socket, generation } = useSocket();
  const [prefs] = useState(loadPrefs);
  const [mode, setMode] = useState<MatchMode>(prefs.mode);
  const [interests, setInterests] = useState<string[]>(prefs.interests);
  const [phase, dispatch] = useReducer(randomReducer, { kind: 'setup' } as RandomPhase);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const current = useRef(phase);
  current.current = phase;

  useEffect(() => {
    localStorage.setItem(PREFS_KEY, JSON.stringify({ mode, interests }));
  }, [mode, interests]);

  useSocketEvent('match:found', (found) => dispatch({ type: 'found', found }));
  useSocketEvent('match:ended', ({ sessionId, reason }) => dispatch({ type: 'ended', sessionId, reason }));
  useSocketEvent('chat:message', (message) => dispatch({ type: 'message', message }));

  // A leave still being sent: a new join waits for it, so a late retry of the leave cannot take the new join out of the queue.
  const leaving = useRef<Promise<unknown>>(Promise.resolve());

  const join = (m: MatchMode = mode) => {
    setRefusal(null);
    dispatch({ type: 'join', mode: m });
    leaving.current.then(() => emit(socket, 'match:join', { mode: m, interests })).then(
      (r) => dispatch({ type: 'joined', mode: m, state: r.state }),
      (err: unknown) => {
        dispatch({ type: 'join-failed' });
        setRefusal(refusalOf(err, 'join'));
      },
    );
  };

  const skip = () => {
    if (current.current.kind !== 'matched' && current.current.kind !== 'ended') return;
    const m = current.current.found.mode;
    const before = current.current;
    setRefusal(null);
    dispatch({ type: 'join', mode: m });
    emit(socket, 'match:next', {}).then(
      (r) => dispatch({ type: 'joined', mode: m, state: r.state }),
      (err: unknown) => {
        const r = refusalOf(err, 'skip');
        setRefusal(r);
        // Too fast: nothing ended, the session goes on. Otherwise (no longer queued): start again.
        if (err instanceof ApiError && err.code === 'RATE_LIMITED') dispatch({ type: 'restore', phase: before });
        else dispatch({ type: 'join-failed' });
      },
    );
  };

  const leave = () => {
    setRefusal(null);
    dispatch({ type: 'left' });
    // Until the server has it the stranger is not told, so a leave lost or refused for a moment is sent again.
    leaving.current = leaveUntilAnswered(() => emit(socket, 'match:leave', {}), {
      wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      code: (err) => (err instanceof ApiError ? err.code : ''),
      retryAfterSeconds: (err) => (err instanceof ApiError ? err.retryAfterSeconds : undefined),
    });
  };

  // Leaving the page leaves the queue and ends the session.
  useEffect(
    () => () => {
      const k = current.current.kind;
      // After the stranger ended it this person is still known to the queue (not waiting): leave clears that too.
      // A session on another device is that device's to end.
      if (k !== 'setup' && k !== 'elsewhere') emit(socket, 'match:leave', {}).catch(() => undefined);
    },
    [socket],
  );

  // A reconnect ends the session server-side (the old socket disconnected): wait again, or say the chat ended.
  const seenGeneration = useRef(generation);
  useEffect(() => {
    if (generation === seenGeneration.current) return;
    seenGeneration.current = generation;
    if (generation <= 1) return;
    const p = current.current;
    if (p.kind === 'waiting' || p.kind === 'joining') join(p.mode);
    else if (p.kind === 'matched') dispatch({ type: 'ended', sessionId: p.found.sessionId, reason: 'connection' });
    // Only a reconnect runs this (join uses the interests of the render it sees).
  }, [generation]);

  return (
    <section className="page random">
      <PageTitle>Random chat</PageTitle>
      {phase.kind === 'setup' && <Setup mode={mode} setMode={setMode} interests={interests} setInterests={setInterests} refusal={refusal} onStart={() => join()} />}
      {(phase.kind === 'joining' || phase.kind === 'waiting') && <Waiting mode={phase.mode} interests={interests} refusal={refusal} onCancel={leave} />}
      {phase.kind === 'elsewhere' && (
        <div className="card random-state" role="status">
          <p className="state-title">You are already in a random chat on another device.</p>
          <button type="button" className="btn btn-secondary" onClick={leave}>
            End that chat
          </button>
        </div>
      )}
      {(phase.kind === 'matched' || phase.kind === 'ended') && (
        <Session key={phase.found.sessionId} phase={phase} refusal={refusal} onSkip={skip} onLeave={leave} onAgain={() => join(phase.found.mode)} />
      )}
    </section>
  );
}

function Setup({
  mode,
  setMode,
  interests,
  setInterests,
  refusal,
  onStart,
}: {
  mode: MatchMode;
  setMode: (m: MatchMode) => void;
  interests: string[];
  setInterests: (i: string[]) => void;
  refusal: Refusal | null;
  onStart: () => void;
}) {
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const hintId = useId();
  const errId = useId();
  const wait = useCountdown(refusal?.until);

  const add = (e?: FormEvent) => {
    e?.preventDefault();
    const r = addInterest(interests, draft);
    setError(r.error ?? null);
    if (!r.error) {
      setInterests(r.list);
      setDraft('');
    }
  };

  return (
    <div className="card random-setup">
      <p className="lead-in">Meet someone new. Pairly pairs you first with people who share an interest.</p>
      <fieldset className="field random-modes">
        <legend>How do you want to chat?</legend>
        <label className="radio">
          <input type="radio" name="mode" value="text" checked={mode === 'text'} onChange={() => setMode('text')} /> Text
        </label>
        <label className="radio">
          <input type="radio" name="mode" value="video" checked={mode === 'video'} onChange={() => setMode('video')} /> Video (camera and microphone)
        </label>
      </fieldset>

      <form className="field" onSubmit={add} noValidate>
        <label htmlFor={inputId}>Interests (optional)</label>
        <div className="interest-entry">
          <input
            id={inputId}
            type="text"
            value={draft}
            maxLength={30}
            onChange={(e) => setDraft(e.target.value)}
            aria-describedby={`${hintId}${error ? ` ${errId}` : ''}`}
            aria-invalid={error ? true : undefined}
            disabled={interests.length >= MAX_INTERESTS}
          />
          <button type="submit" className="btn btn-secondary" disabled={interests.length >= MAX_INTERESTS}>
            Add
          </button>
        </div>
        <small id={hintId} className="hint">
          Up to {MAX_INTERESTS}: letters, numbers, spaces, - and _. {interests.length}/{MAX_INTERESTS} added.
        </small>
        {error && (
          <small id={errId} className="field-error" role="alert">
            {error}
          </small>
        )}
      </form>
      {interests.length > 0 && (
        <ul className="chips" aria-label="Your interests">
          {interests.map((i) => (
            <li key={i} className="chip">
              {i}
              <button type="button" className="chip-remove" aria-label={`Remove ${i}`} onClick={() => setInterests(interests.filter((x) => x !== i))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}

      {refusal && (
        <p className="form-error" role="alert">
          {refusal.text}
          {wait > 0 && ` (${wait} s)`}
        </p>
      )}
      <button type="button" className="btn btn-primary btn-large" onClick={onStart} disabled={wait > 0}>
        Start {mode === 'video' ? 'video' : 'text'} chat
      </button>
    </div>
  );
}

function Waiting({ mode, interests, refusal, onCancel }: { mode: MatchMode; interests: string[]; refusal: Refusal | null; onCancel: () => void }) {
  return (
    <div className="card random-state">
      <p className="state-title" role="status">
        <span className="spinner" aria-hidden="true" />
        Looking for someone to {mode === 'video' ? 'video chat' : 'chat'} with…
      </p>
      <p className="hint">{interests.length ? `Someone who likes ${interests.join(', ')} first, then anyone after a few seconds.` : 'Anyone who is waiting too.'}</p>
      {refusal && (
        <p className="form-error" role="alert">
          {refusal.text}
        </p>
      )}
      <button type="button" className="btn btn-secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function Session({
  phase,
  refusal,
  onSkip,
  onLeave,
  onAgain,
}: {
  phase: Extract<RandomPhase, { kind: 'matched' | 'ended' }>;
  refusal: Refusal | null;
  onSkip: () => void;
  onLeave: () => void;
  onAgain: () => void;
}) {
  const { found } = phase;
  const ended = phase.kind === 'ended';
  const wait = useCountdown(refusal?.until);
  const others = found.peer.interests.filter((i) => !found.commonInterests.includes(i));
  return (
    <div className={`random-session${found.mode === 'video' ? ' random-video' : ''}`}>
      <div className="random-side">
        <article className="card peer-card" aria-labelledby="peer-name">
          <div className="peer-who">
            <ProfileAvatar name={found.peer.displayName} seed={found.peer.userId} photo={found.peer.photo} size="md" />
            <h2 id="peer-name" className="peer-name">
              {found.peer.displayName}, {found.peer.age}
            </h2>
          </div>
          {found.commonInterests.length > 0 ? (
            <>
              <p className="hint">You both like</p>
              <ul className="chips" aria-label="Interests you share">
                {found.commonInterests.map((i) => (
                  <li key={i} className="chip chip-shared">
                    {i}
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p className="hint">No interests in common: say hi anyway.</p>
          )}
          {others.length > 0 && <p className="hint">Also into: {others.join(', ')}</p>}
        </article>
        {found.mode === 'video' && found.media && !ended && <RandomVideo found={found} />}
        {ended && (
          <div className="card random-ended">
            <p role="alert" className="state-title">
              {phase.message}
            </p>
          </div>
        )}
        {refusal && (
          <p className="form-error" role="alert">
            {refusal.text}
            {wait > 0 && ` (${wait} s)`}
          </p>
        )}
        <div className="random-actions">
          {ended ? (
            <button type="button" className="btn btn-primary" onClick={onAgain}>
              Find someone new
            </button>
          ) : (
            <button type="button" className="btn btn-primary" onClick={onSkip} disabled={wait > 0}>
              Skip
            </button>
          )}
          <button type="button" className="btn btn-secondary" onClick={onLeave}>
            Leave
          </button>
          <ReportSession sessionId={found.sessionId} peerName={found.peer.displayName} />
        </div>
      </div>
      <SessionChat found={found} messages={phase.messages} closed={ended} />
    </div>
  );
}

function RandomVideo({ found }: { found: MatchFound }) {
  const room = useVideoRoom(found.media ?? null, true);
  useSnapshots(found.sessionId, room.cameraOn ? room.local : null);
  return (
    <div className="random-stage">
      <VideoTile stream={room.remote} label={`${found.peer.displayName}’s video`} className="random-remote" placeholder={`Connecting to ${found.peer.displayName}…`} />
      <VideoTile stream={room.cameraOn ? room.local : null} label="You" self className="random-self" placeholder={room.cameraOn ? '' : 'Camera off'} />
      {room.error && (
        <p role="alert" className="form-error random-video-error">
          {room.error}
        </p>
      )}
      <div className="random-video-controls">
        <button type="button" className="btn btn-secondary" aria-pressed={!room.micOn} onClick={room.toggleMic}>
          {room.micOn ? 'Mute' : 'Unmute'}
        </button>
        <button type="button" className="btn btn-secondary" aria-pressed={!room.cameraOn} onClick={room.toggleCamera}>
          {room.cameraOn ? 'Turn camera off' : 'Turn camera on'}
        </button>
      </div>
    </div>
  );
}

interface Pending {
  clientId: string;
  body: string;
  error?: string;
}

const TYPING_RENEW_MS = 2500;

/** The session's chat: free messages (no expectedPrice), live messages and the stranger's typing. */
function SessionChat({ found, messages, closed }: { found: MatchFound; messages: MessageView[]; closed: boolean }) {
  const { user } = useSession();
  const { socket } = useSocket();
  const [draft, setDraft] = useState('');
  const [pending, setPending] = useState<Pending[]>([]);
  const [sent, setSent] = useState<MessageView[]>([]);
  const [peerTyping, setPeerTyping] = useState(false);
  const typingTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const lastTypingSent = useRef(0);
  const inputId = useId();
  const logRef = useRef<HTMLOListElement>(null);
  const conversationId = found.conversationId;

  useSocketEvent('chat:typing', (t) => {
    if (t.conversationId !== conversationId || t.userId !== found.peer.userId) return;
    clearTimeout(typingTimer.current);
    setPeerTyping(t.typing);
    if (t.typing) typingTimer.current = setTimeout(() => setPeerTyping(false), t.expiresInMs);
  });
  useSocketEvent('chat:message', (m) => {
    if (m.conversationId === conversationId && m.senderId === found.peer.userId) {
      clearTimeout(typingTimer.current);
      setPeerTyping(false);
    }
  });
  useEffect(() => () => clearTimeout(typingTimer.current), []);

  // Own messages come back in the send's ack (and as a push to this user's other devices).
  const all = sent.reduce(mergeMessage, messages);

  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [all.length, pending.length]);

  const typing = (value: string) => {
    setDraft(value);
    if (closed || !value.trim()) return;
    const now = Date.now();
    if (now - lastTypingSent.current < TYPING_RENEW_MS) return;
    lastTypingSent.current = now;
    emit(socket, 'chat:typing', { conversationId, typing: true }).catch(() => undefined);
  };

  const send = (p: Pending) => {
    setPending((list) => [...list.filter((x) => x.clientId !== p.clientId), { ...p, error: undefined }]);
    emit(socket, 'chat:send', { conversationId, clientId: p.clientId, body: p.body }).then(
      ({ message }) => {
        setSent((list) => mergeMessage(list, message));
        setPending((list) => list.filter((x) => x.clientId !== p.clientId));
      },
      (err: unknown) => {
        const error = err instanceof ApiError && err.code === 'CONVERSATION_CLOSED' ? 'Not sent: the chat has ended.' : `Not sent. ${errorText(err)}`;
        setPending((list) => list.map((x) => (x.clientId === p.clientId ? { ...x, error } : x)));
      },
    );
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = draft.trim();
    if (!body || closed) return;
    setDraft('');
    lastTypingSent.current = 0;
    emit(socket, 'chat:typing', { conversationId, typing: false }).catch(() => undefined);
    send({ clientId: crypto.randomUUID(), body });
  };

  return (
    <section className="card random-chat" aria-label={`Chat with ${found.peer.displayName}`}>
      <ol className="chat-log" ref={logRef} aria-live="polite" aria-label="Messages" tabIndex={0}>
        {all.length === 0 && pending.length === 0 && (
          <li className="chat-empty">{closed ? 'No messages were sent.' : `Say hello to ${found.peer.displayName}. Messages here are free.`}</li>
        )}
        {all.map((m) => {
          const mine = m.senderId === user?.id;
          return (
            <li key={m.id} className={`chat-msg${mine ? ' chat-mine' : ''}`}>
              <span className="visually-hidden">{mine ? 'You:' : `${found.peer.displayName}:`}</span> {m.body}
              {m.attachment && <Media id={m.attachment.mediaId} alt={mine ? 'Your photo or video' : `Photo or video from ${found.peer.displayName}`} className="random-media" sizes="240px" />}
            </li>
          );
        })}
        {pending.map((p) => (
          <li key={p.clientId} className={`chat-msg chat-mine chat-pending${p.error ? ' chat-failed' : ''}`}>
            <span className="visually-hidden">You:</span> {p.body}
            {p.error ? (
              <span className="chat-msg-state">
                {p.error}{' '}
                {!closed && (
                  <button type="button" className="btn btn-link" onClick={() => send(p)}>
                    Retry
                  </button>
                )}
              </span>
            ) : (
              <span className="chat-msg-state">Sending…</span>
            )}
          </li>
        ))}
      </ol>
      <p className="chat-typing" aria-live="polite">
        {peerTyping && !closed ? `${found.peer.displayName} is typing…` : ''}
      </p>
      <form className="chat-compose" onSubmit={submit}>
        <label htmlFor={inputId} className="visually-hidden">
          Message
        </label>
        <input
          id={inputId}
          type="text"
          value={draft}
          onChange={(e) => typing(e.target.value)}
          placeholder={closed ? 'The chat has ended' : 'Type a message'}
          disabled={closed}
          maxLength={4000}
          autoComplete="off"
        />
        <button type="submit" className="btn btn-primary" disabled={closed || !draft.trim()}>
          Send
        </button>
      </form>
    </section>
  );
}

function ReportSession({ sessionId, peerName }: { sessionId: string; peerName: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [state, setState] = useState<'idle' | 'sending' | 'sent'>('idle');
  const [error, setError] = useState<unknown>(null);
  const id = useId();

  if (state === 'sent') {
    return (
      <p role="status" className="report-done">
        Thanks. Your report about {peerName} was sent to our moderators.
      </p>
    );
  }
  if (!open) {
    return (
      <button type="button" className="btn btn-link" onClick={() => setOpen(true)}>
        Report {peerName}
      </button>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return setError(new ApiError('VALIDATION_FAILED', 'Say what happened', 400));
    setState('sending');
    setError(null);
    api(`/api/match/sessions/${sessionId}/report`, { method: 'POST', body: { reason: reason.trim() } }).then(
      () => setState('sent'),
      (err: unknown) => {
        setState('idle');
        setError(err);
      },
    );
  };
  return (
    <form className="form report-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={id}>What happened?</label>
        <textarea id={id} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} rows={3} />
      </div>
      {error !== null && (
        <p className="form-error" role="alert">
          {error instanceof ApiError && error.code === 'VALIDATION_FAILED' ? 'Say briefly what happened (up to 1000 characters).' : errorText(error)}
        </p>
      )}
      <div className="random-actions">
        <button type="submit" className="btn btn-danger" disabled={state === 'sending'}>
          {state === 'sending' ? 'Sending…' : 'Send report'}
        </button>
        <button type="button" className="btn btn-secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Seconds left until `until` (0 when none), ticking down. */
function useCountdown(until: number | undefined): number {
  const left = () => (until ? Math.max(0, Math.ceil((until - Date.now()) / 1000)) : 0);
  const [value, setValue] = useState(left);
  useEffect(() => {
    setValue(left());
    if (!until) return;
    const t = setInterval(() => {
      const v = left();
      setValue(v);
      if (v <= 0) clearInterval(t);
    }, 1000);
    return () => clearInterval(t);
    // left reads only `until`.
  }, [until]);
  return value;
}
