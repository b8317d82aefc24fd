import { useEffect, useId, useState } from 'react';
import type { CallMedia, CallView as Call } from '../../../shared/calls.js';
import { credits, formatDuration, runningCostText, type Peer } from '../lib/call-state.js';
import { CallDialog } from './call-dialog.js';
import { useVideoRoom, VideoTile } from './video-room.js';

function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/**
 * The call in progress: the peer's video (or an audio-only view), this
 * person's preview, a timer, the running cost at the agreed price, mute and
 * camera toggles, and hang-up.
 */
export function ActiveCall({
  call,
  peer,
  media,
  role,
  startedAt,
  hangingUp,
  onHangUp,
}: {
  call: Call;
  peer: Peer;
  media: CallMedia;
  role: 'caller' | 'callee';
  startedAt: number;
  hangingUp: boolean;
  onHangUp: () => void;
}) {
  const room = useVideoRoom(media, call.video);
  const now = useNow(1000);
  const elapsed = now - startedAt;
  const statusId = useId();
  const price = call.pricePerMinute;

  const statusText =
    room.status === 'failed'
      ? null
      : room.status === 'connected' && room.remote
        ? 'Connected'
        : room.status === 'closed'
          ? 'The call is ending…'
          : room.status === 'waiting'
            ? `Waiting for ${peer.displayName}…`
            : 'Connecting…';

  return (
    <CallDialog className="call-active" title={`${call.video ? 'Video call' : 'Call'} with ${peer.displayName}`} describedBy={statusId}>
      <div className={`call-stage${call.video ? '' : ' call-stage-audio'}`}>
        <VideoTile
          stream={room.remote}
          label={`${peer.displayName}${call.video ? '’s video' : '’s audio'}`}
          audioOnly={!call.video}
          className="call-remote"
          placeholder={call.video ? `Waiting for ${peer.displayName}’s video` : peer.displayName.slice(0, 1).toUpperCase()}
        />
        {call.video && <VideoTile stream={room.cameraOn ? room.local : null} label="You" self className="call-self" placeholder={room.cameraOn ? '' : 'Camera off'} />}
      </div>

      <div className="call-facts">
        <p id={statusId} role="status" className="call-status">
          {statusText}
        </p>
        {room.error && (
          <p role="alert" className="call-error">
            {room.error}
          </p>
        )}
        <dl className="call-meter">
          <div>
            <dt>Time</dt>
            <dd>
              <time data-testid="call-timer">{formatDuration(elapsed)}</time>
            </dd>
          </div>
          <div>
            <dt>{role === 'caller' ? 'Cost so far' : 'Billed to caller'}</dt>
            <dd data-testid="call-cost">{runningCostText(elapsed, price, (call.minuteSeconds || 60) * 1000)}</dd>
          </div>
          {price > 0 && (
            <div>
              <dt>Price</dt>
              <dd>{credits(price)} per minute</dd>
            </div>
          )}
        </dl>
      </div>

      <div className="call-controls">
        <button type="button" className="btn btn-secondary" aria-pressed={!room.micOn} onClick={room.toggleMic}>
          {room.micOn ? 'Mute' : 'Unmute'}
        </button>
        {call.video && (
          <button type="button" className="btn btn-secondary" aria-pressed={!room.cameraOn} onClick={room.toggleCamera}>
            {room.cameraOn ? 'Turn camera off' : 'Turn camera on'}
          </button>
        )}
        <button type="button" className="btn btn-danger" onClick={onHangUp} disabled={hangingUp} data-autofocus>
          {hangingUp ? 'Hanging up…' : 'Hang up'}
        </button>
      </div>
    </CallDialog>
  );
}
