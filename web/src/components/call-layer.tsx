import { useEffect, useId, useReducer, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { PriceChanged } from '../../../shared/prices.js';
import { ApiError } from '../lib/api.js';
import { onCallRequest, type CallIntent } from '../lib/call-intent.js';
import { callReducer, credits, formatDuration, isBusy, type CallPhase } from '../lib/call-state.js';
import { errorText } from '../lib/error-text.js';
import { useWallet } from '../lib/queries.js';
import { emit, useSocket, useSocketEvent } from '../lib/socket.js';
import { CallDialog } from './call-dialog.js';
import { ActiveCall } from './call-view.js';
import './call-layer.css';

/**
 * Calls over every page of a signed-in person: pages ask for a call with
 * requestCall (lib/call-intent.ts); a paid call shows its price first and is
 * placed at that price (expectedPrice); incoming calls ring in a dialog; the
 * in-call view runs until either side hangs up, credits run out or the media
 * fails, and says why it ended.
 */
export default function CallLayer() {
  const { socket } = useSocket();
  const [phase, dispatch] = useReducer(callReducer, { kind: 'idle' } as CallPhase);
  const current = useRef(phase);
  current.current = phase;
  /** The call this device is ending itself (hang-up, decline, cancel): its call:ended is "by me". */
  const ending = useRef<string | null>(null);
  const [pending, setPending] = useState(false);

  const place = (intent: CallIntent) => {
    setPending(true);
    emit(socket, 'call:invite', { toUserId: intent.toUserId, video: intent.video, ...(intent.pricePerMinute > 0 ? { expectedPrice: intent.pricePerMinute } : {}) })
      .then(
        ({ call }) => dispatch({ type: 'invited', call }),
        (err: unknown) => {
          const code = err instanceof ApiError ? err.code : 'INTERNAL';
          const price = err instanceof ApiError && code === 'PRICE_CHANGED' ? (err.details as PriceChanged | undefined)?.price : undefined;
          dispatch({ type: 'invite-failed', code, message: errorText(err), price });
        },
      )
      .finally(() => setPending(false));
  };

  useEffect(
    () =>
      onCallRequest((intent) => {
        if (isBusy(current.current)) return;
        dispatch({ type: 'request', intent });
        if (intent.pricePerMinute <= 0) place(intent);
      }),
    // place reads the socket of the render that registered it: re-register when the socket changes.
    [socket],
  );

  useSocketEvent('call:ringing', ({ call, from }) => dispatch({ type: 'ringing', call, from }));
  useSocketEvent('call:accepted', ({ call, media }) => dispatch({ type: 'accepted', call, media, now: Date.now() }));
  useSocketEvent('call:ended', ({ call, reason }) => dispatch({ type: 'ended', call, reason, byMe: ending.current === call.id }));
  useSocketEvent('call:elsewhere', ({ callId }) => dispatch({ type: 'elsewhere', callId }));

  const confirm = () => {
    if (phase.kind !== 'confirm') return;
    dispatch({ type: 'confirm' });
    place(phase.intent);
  };

  const endOwn = (event: 'call:cancel' | 'call:decline' | 'call:hangup', callId: string, reason: 'cancelled' | 'declined' | 'hangup') => {
    ending.current = callId;
    setPending(true);
    emit(socket, event, { callId })
      .then(
        ({ call }) => dispatch({ type: 'ended', call, reason: call.endReason ?? reason, byMe: true }),
        // Already over (the other side ended it first): its call:ended says how.
        () => undefined,
      )
      .finally(() => setPending(false));
  };

  const accept = () => {
    if (phase.kind !== 'incoming') return;
    dispatch({ type: 'accepting' });
    emit(socket, 'call:accept', { callId: phase.call.id }).then(
      ({ call, media }) => dispatch({ type: 'accepted', call, media, now: Date.now() }),
      (err: unknown) => dispatch({ type: 'accept-failed', message: acceptFailureText(err) }),
    );
  };

  const dismiss = () => dispatch({ type: 'dismiss' });

  switch (phase.kind) {
    case 'idle':
      return null;
    case 'placing':
      return <Placing name={phase.intent.displayName} />;
    case 'confirm':
      return <ConfirmCall intent={phase.intent} notice={phase.notice} busy={pending} onConfirm={confirm} onCancel={dismiss} />;
    case 'outgoing':
      return (
        <CallDialog title={`Calling ${phase.peer.displayName}…`} className="call-ringing">
          <p role="status">Ringing. {phase.call.pricePerMinute > 0 ? `${credits(phase.call.pricePerMinute)} per minute once they answer.` : 'This call is free.'}</p>
          <div className="call-dialog-actions">
            <button type="button" className="btn btn-danger" disabled={pending} onClick={() => endOwn('call:cancel', phase.call.id, 'cancelled')} data-autofocus>
              Cancel call
            </button>
          </div>
        </CallDialog>
      );
    case 'incoming':
      return <Ringing phase={phase} busy={pending} onAccept={accept} onDecline={() => endOwn('call:decline', phase.call.id, 'declined')} />;
    case 'active':
      return (
        <ActiveCall
          call={phase.call}
          peer={phase.peer}
          media={phase.media}
          role={phase.role}
          startedAt={phase.startedAt}
          hangingUp={pending}
          onHangUp={() => endOwn('call:hangup', phase.call.id, 'hangup')}
        />
      );
    case 'ended':
      return <Ended phase={phase} onClose={dismiss} />;
    case 'refused':
      return (
        <CallDialog title="The call was not placed" onEscape={dismiss}>
          <p role="alert">{phase.message}</p>
          <div className="call-dialog-actions">
            {phase.walletLink && (
              <Link className="btn btn-primary" to="/wallet" onClick={dismiss}>
                Buy credits
              </Link>
            )}
            <button type="button" className="btn btn-secondary" onClick={dismiss} data-autofocus>
              Close
            </button>
          </div>
        </CallDialog>
      );
  }
}

function acceptFailureText(err: unknown): string {
  const code = err instanceof ApiError ? err.code : '';
  if (code === 'CALL_NOT_RINGING') return 'This call is no longer ringing: it was answered on another device or it ended.';
  if (code === 'INSUFFICIENT_CREDITS') return 'The call could not start: the caller does not have enough credits.';
  if (code === 'SFU_UNAVAILABLE') return 'Calls are unavailable right now, so the call could not start.';
  return errorText(err);
}

function Placing({ name }: { name: string }) {
  return (
    <CallDialog title={`Calling ${name}…`} className="call-ringing">
      <p role="status">
        <span className="spinner" aria-hidden="true" />
        Placing the call…
      </p>
    </CallDialog>
  );
}

/** A paid call: its price, the balance, and a choice; PRICE_CHANGED comes back here with the new price. */
function ConfirmCall({ intent, notice, busy, onConfirm, onCancel }: { intent: CallIntent; notice?: string; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const wallet = useWallet();
  const priceId = useId();
  const free = intent.pricePerMinute <= 0;
  const short = !free && wallet.data !== undefined && wallet.data.available < intent.pricePerMinute;
  return (
    <CallDialog title={`${intent.video ? 'Video call' : 'Call'} ${intent.displayName}?`} onEscape={onCancel} describedBy={priceId}>
      {notice && (
        <p role="alert" className="call-notice">
          {notice}
        </p>
      )}
      <p id={priceId} className="call-price">
        {free ? 'This call is free.' : `This call costs ${credits(intent.pricePerMinute)} per minute.`}
      </p>
      {!free && wallet.data && (
        <p className="hint">
          You have {credits(wallet.data.available)}. The first minute is reserved when {intent.displayName} answers; each started minute is charged.
        </p>
      )}
      {short && (
        <p className="call-notice">
          That is not enough for one minute. <Link to="/wallet" onClick={onCancel}>Buy credits</Link>
        </p>
      )}
      <div className="call-dialog-actions">
        <button type="button" className="btn btn-primary" onClick={onConfirm} disabled={busy}>
          {free ? 'Call' : `Call for ${credits(intent.pricePerMinute)}/min`}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel} data-autofocus>
          Cancel
        </button>
      </div>
    </CallDialog>
  );
}

function Ringing({ phase, busy, onAccept, onDecline }: { phase: Extract<CallPhase, { kind: 'incoming' }>; busy: boolean; onAccept: () => void; onDecline: () => void }) {
  const descId = useId();
  const { call, peer } = phase;
  return (
    <CallDialog title={`${peer.displayName} is calling`} className="call-ringing call-incoming" describedBy={descId}>
      <p id={descId}>
        {call.video ? 'Incoming video call.' : 'Incoming audio call.'}{' '}
        {call.pricePerMinute > 0 ? `Paid call: ${peer.displayName} pays ${credits(call.pricePerMinute)} per minute.` : ''}
      </p>
      <div className="call-dialog-actions">
        <button type="button" className="btn btn-primary" onClick={onAccept} disabled={phase.accepting || busy} data-autofocus>
          {phase.accepting ? 'Connecting…' : 'Accept'}
        </button>
        <button type="button" className="btn btn-danger" onClick={onDecline} disabled={phase.accepting || busy}>
          Decline
        </button>
      </div>
    </CallDialog>
  );
}

function Ended({ phase, onClose }: { phase: Extract<CallPhase, { kind: 'ended' }>; onClose: () => void }) {
  const { call, role } = phase;
  const lasted = call?.answeredAt && call.endedAt ? new Date(call.endedAt).getTime() - new Date(call.answeredAt).getTime() : null;
  return (
    <CallDialog title="Call ended" onEscape={onClose} className="call-ended">
      <p role="alert">{phase.message}</p>
      {lasted !== null && (
        <p>
          Duration {formatDuration(lasted)}
          {call && call.pricePerMinute > 0 && (role === 'caller' ? `. You paid ${credits(call.creditsBilled)}.` : `. ${phase.peer.displayName} paid ${credits(call.creditsBilled)}.`)}
        </p>
      )}
      <div className="call-dialog-actions">
        {phase.walletLink && (
          <Link className="btn btn-primary" to="/wallet" onClick={onClose}>
            Buy credits
          </Link>
        )}
        <button type="button" className="btn btn-secondary" onClick={onClose} data-autofocus>
          Close
        </button>
      </div>
    </CallDialog>
  );
}
