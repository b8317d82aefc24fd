import { useEffect, useRef, useState } from 'react';
import type { CallMedia } from '../../../shared/calls.js';
import type { RoomStatus } from '../lib/call-state.js';
import type { Room } from '../lib/janus.js';
import './video-room.css';

export interface VideoRoomState {
  status: RoomStatus;
  error: string | null;
  local: MediaStream | null;
  remote: MediaStream | null;
  micOn: boolean;
  cameraOn: boolean;
  toggleMic(): void;
  toggleCamera(): void;
}

/**
 * Joins the SFU room of a call or a video match while mounted (leaves it on
 * unmount or when `media` changes). Janus's client is loaded here, on
 * demand, never with the first page.
 */
export function useVideoRoom(media: CallMedia | null, video: boolean): VideoRoomState {
  const [status, setStatus] = useState<RoomStatus>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [local, setLocal] = useState<MediaStream | null>(null);
  const [remote, setRemote] = useState<MediaStream | null>(null);
  const [micOn, setMicOn] = useState(true);
  const [cameraOn, setCameraOn] = useState(true);
  const room = useRef<Room | null>(null);

  useEffect(() => {
    if (!media) return;
    let cancelled = false;
    setStatus('connecting');
    setError(null);
    setMicOn(true);
    setCameraOn(true);
    import('../lib/janus.js').then(
      ({ joinRoom }) => {
        if (cancelled) return;
        room.current = joinRoom(media, video, {
          onLocalStream: setLocal,
          onRemoteStream: setRemote,
          onStatus: (s, err) => {
            setStatus(s);
            setError(err ?? null);
          },
        });
      },
      () => {
        if (cancelled) return;
        setStatus('failed');
        setError('The video part of Pairly did not load. Check your connection and reload the page.');
      },
    );
    return () => {
      cancelled = true;
      room.current?.leave();
      room.current = null;
      setLocal(null);
      setRemote(null);
    };
    // The room is its id and this person's token: a new object with the same values is the same room.
  }, [media?.clientUrl, media?.roomId, media?.token, video]);

  return {
    status,
    error,
    local,
    remote,
    micOn,
    cameraOn,
    toggleMic: () => {
      const next = !micOn;
      room.current?.setMicrophone(next);
      setMicOn(next);
    },
    toggleCamera: () => {
      const next = !cameraOn;
      room.current?.setCamera(next);
      setCameraOn(next);
    },
  };
}

/**
 * A <video> (or <audio> for audio-only) showing a MediaStream. Remote media
 * plays with sound; when the browser blocks that until the person interacts,
 * a button offers to start it.
 */
export function VideoTile({
  stream,
  label,
  self = false,
  audioOnly = false,
  className,
  placeholder,
}: {
  stream: MediaStream | null;
  label: string;
  /** The person's own camera: muted and mirrored. */
  self?: boolean;
  audioOnly?: boolean;
  className?: string;
  placeholder?: string;
}) {
  const ref = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  const [blocked, setBlocked] = useState(false);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.srcObject = stream;
    setBlocked(false);
    if (!stream) return;
    el.play().catch((err: DOMException) => {
      // NotAllowedError: sound needs a click first. AbortError: a newer stream replaced this one.
      if (err.name === 'NotAllowedError') setBlocked(true);
    });
  }, [stream]);

  const play = () => {
    ref.current?.play().then(
      () => setBlocked(false),
      () => undefined,
    );
  };

  return (
    <figure className={`video-tile${self ? ' video-self' : ''}${className ? ` ${className}` : ''}`}>
      {audioOnly ? (
        <audio ref={ref} autoPlay aria-label={label} />
      ) : (
        <video ref={ref} autoPlay playsInline muted={self} aria-label={label} data-testid={self ? 'local-video' : 'remote-video'} />
      )}
      {(!stream || audioOnly) && placeholder && (
        <div className="video-placeholder" aria-hidden={audioOnly ? undefined : true}>
          {placeholder}
        </div>
      )}
      <figcaption className="video-label">{label}</figcaption>
      {blocked && (
        <button type="button" className="btn btn-primary video-play" onClick={play}>
          Play sound
        </button>
      )}
    </figure>
  );
}
