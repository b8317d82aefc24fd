/**
 * One person in a two-person Janus VideoRoom (a call, or a video random
 * match), on Janus's official client (npm janus-gateway):
 *
 *   new Janus(clientUrl) ──► attach videoroom ──► join as publisher with this person's room token
 *        └─ joined (private_id) ──► publish camera + microphone (or microphone only)
 *        └─ the peer's feed appears (in `joined` or a later event) ──► second handle:
 *           join as subscriber with private_id, streams [{feed}] ──► answer ──► start
 *   the peer unpublishes or leaves ──► the remote stream goes (and comes back if they return)
 *   leave() ──► the Janus session is destroyed: handles detached, camera released
 *
 * The server creates the room and hands out the tokens (shared/calls.ts CallMedia);
 * ending the call or the match destroys the room, which ends the media whatever
 * this client does. Only this module imports janus-gateway: components load it
 * with a dynamic import, so it stays out of the first-load bundle.
 */
import Janus, { type JanusJS } from 'janus-gateway';
import adapter from 'webrtc-adapter';
import type { CallMedia } from '../../../shared/calls.js';
import { mediaErrorText, type RoomStatus } from './call-state.js';

export interface RoomHandlers {
  /** This person's camera (video calls) for a preview; null when it stops. */
  onLocalStream(stream: MediaStream | null): void;
  /** The peer's audio and video; null while they are not publishing. */
  onRemoteStream(stream: MediaStream | null): void;
  /** `failed` comes with the reason in plain words. */
  onStatus(status: RoomStatus, error?: string): void;
}

export interface Room {
  setMicrophone(on: boolean): void;
  setCamera(on: boolean): void;
  /** Leaves the room and releases the camera and microphone. Idempotent. */
  leave(): void;
}

let initialised: Promise<void> | undefined;

function init(): Promise<void> {
  // janus.js reads its WebRTC adapter from the dependencies (its ES build has no import of its own).
  initialised ??= new Promise((resolve) => Janus.init({ debug: false, dependencies: Janus.useDefaultDependencies({ adapter }), callback: () => resolve() }));
  return initialised;
}

interface Publisher {
  id: number;
}

/** Joins the room described by `media`; publishes video too when `video` is true. */
export function joinRoom(media: CallMedia, video: boolean, handlers: RoomHandlers): Room {
  let closed = false;
  let janus: JanusJS.Janus | undefined;
  let own: JanusJS.PluginHandle | undefined;
  let remote: JanusJS.PluginHandle | undefined;
  let myId: number | undefined;
  let privateId: number | undefined;
  let remoteFeed: number | undefined;
  const localTracks = new Map<string, MediaStreamTrack>();
  const remoteTracks = new Map<string, MediaStreamTrack>();

  const status = (s: RoomStatus, error?: string) => {
    if (!closed) handlers.onStatus(s, error);
  };
  const fail = (err: unknown) => {
    if (closed) return;
    status('failed', mediaErrorText(err));
  };
  const emitLocal = () => {
    if (closed) return;
    const tracks = [...localTracks.values()].filter((t) => t.kind === 'video');
    handlers.onLocalStream(tracks.length ? new MediaStream(tracks) : null);
  };
  const emitRemote = () => {
    if (closed) return;
    handlers.onRemoteStream(remoteTracks.size ? new MediaStream([...remoteTracks.values()]) : null);
  };

  const publish = () => {
    const tracks: JanusJS.TrackOption[] = [{ type: 'audio', capture: true, recv: false }];
    if (video) tracks.push({ type: 'video', capture: true, recv: false });
    own!.createOffer({
      tracks,
      success: (jsep) => own!.send({ message: { request: 'publish', audio: true, video }, jsep }),
      error: (err) => fail(err),
    });
  };

  const dropRemote = () => {
    remoteFeed = undefined;
    const h = remote;
    remote = undefined;
    h?.detach();
    remoteTracks.clear();
    emitRemote();
    status('waiting');
  };

  const subscribe = (feed: number) => {
    if (closed || remoteFeed !== undefined || privateId === undefined) return;
    remoteFeed = feed;
    janus!.attach({
      plugin: 'janus.plugin.videoroom',
      success: (h) => {
        if (closed || remoteFeed !== feed) return void h.detach();
        remote = h;
        h.send({ message: { request: 'join', ptype: 'subscriber', room: media.roomId, token: media.token, private_id: privateId, streams: [{ feed }] } });
      },
      error: (err) => fail(err),
      onmessage: (msg, jsep) => {
        if (msg.error_code) return fail({ videoroomCode: msg.error_code });
        if (!jsep || !remote) return;
        const h = remote;
        h.createAnswer({
          jsep,
          // Nothing is sent on this handle: the offer's audio and video are received only.
          tracks: [{ type: 'data', capture: false }],
          success: (answer) => h.send({ message: { request: 'start', room: media.roomId }, jsep: answer }),
          error: (err) => fail(err),
        });
      },
      webrtcState: (up) => {
        if (up) status('connected');
      },
      iceState: (state) => {
        if (state === 'failed') fail({ ice: 'failed' });
      },
      onremotetrack: (track, mid, on) => {
        if (on) remoteTracks.set(mid, track);
        else remoteTracks.delete(mid);
        emitRemote();
      },
    });
  };

  const onPublishers = (list: unknown) => {
    if (!Array.isArray(list)) return;
    const peer = (list as Publisher[]).find((p) => p.id !== myId);
    if (peer) subscribe(peer.id);
  };

  const onOwnMessage = (msg: JanusJS.Message, jsep?: JanusJS.JSEP) => {
    if (closed) return;
    if (msg.error_code) return fail({ videoroomCode: msg.error_code });
    if (msg.videoroom === 'joined') {
      myId = msg.id as number;
      privateId = msg.private_id as number;
      status('waiting');
      publish();
      onPublishers(msg.publishers);
    } else if (msg.videoroom === 'event') {
      onPublishers(msg.publishers);
      const gone = msg.unpublished ?? msg.leaving;
      if (gone !== undefined && gone === remoteFeed) dropRemote();
    } else if (msg.videoroom === 'destroyed') {
      // The server ended the call or the session: its room went with it.
      status('closed');
    }
    if (jsep) own?.handleRemoteJsep({ jsep, error: (err) => fail(err) });
  };

  void init().then(() => {
    if (closed) return;
    if (!Janus.isWebrtcSupported()) return fail({ unsupported: true });
    status('connecting');
    janus = new Janus({
      server: media.clientUrl,
      iceServers: media.iceServers,
      success: () => {
        if (closed) return void janus?.destroy({ cleanupHandles: true });
        janus!.attach({
          plugin: 'janus.plugin.videoroom',
          success: (h) => {
            own = h;
            h.send({ message: { request: 'join', ptype: 'publisher', room: media.roomId, token: media.token } });
          },
          error: (err) => fail(err),
          onmessage: onOwnMessage,
          iceState: (state) => {
            if (state === 'failed') fail({ ice: 'failed' });
          },
          onlocaltrack: (track, on) => {
            if (on) localTracks.set(track.id, track);
            else localTracks.delete(track.id);
            emitLocal();
          },
        });
      },
      // Cannot connect, or the connection to Janus was lost.
      error: (err) => fail({ server: err }),
    });
  });

  return {
    setMicrophone(on) {
      if (on) own?.unmuteAudio();
      else own?.muteAudio();
    },
    setCamera(on) {
      if (!video) return;
      if (on) own?.unmuteVideo();
      else own?.muteVideo();
    },
    leave() {
      if (closed) return;
      closed = true;
      // Destroying the session hangs up both peer connections and stops the local tracks.
      janus?.destroy({ cleanupHandles: true, notifyDestroyed: false });
      for (const t of localTracks.values()) t.stop();
      localTracks.clear();
      remoteTracks.clear();
    },
  };
}
