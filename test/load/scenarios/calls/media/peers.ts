import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { CallMedia } from '../../../../../shared/calls.js';
import { JanusSession, type JanusHandle, type JanusMessage } from './janus-ws.js';
import type { FromPeers, PeerSettings, ReceivedStats, ToPeers } from './protocol.js';
import { MediaClock, type AudioSource, type I420Frame, type MediaStreamTrack, type PeerConnection, type VideoSink, type VideoSource, type Wrtc } from './wrtc.js';

/**
 * The media-peer process: `ip netns exec <ns> node --import tsx
 * test/load/scenarios/calls/media/peers.ts --width 640 --height 480 --fps 15 [--audio]`,
 * inside the Janus network namespace (Janus never uses loopback for media),
 * driven by the load generator over JSON lines (protocol.ts).
 *
 *   load generator ──stdin {join, leave, stats}──►  this process (@roamhq/wrtc)
 *                  ◄─stdout {joined, first-frame, left, ...}─┘
 *   per participant: Janus WebSocket session (clientUrl) ── publisher handle: join(token) → private_id,
 *                    publish (RTCVideoSource, I420 frames; RTCAudioSource tone with --audio)
 *                  └─ subscriber handle: join(private_id, feed of the other publisher) → start;
 *                    RTCVideoSink.onframe counts decoded frames
 *
 * Each participant behaves like Pairly's call page (test/e2e/pages/call.js)
 * with exactly the credentials Pairly hands out: it learns the other side's
 * feed from the room's publisher list, as a real client does.
 */

const now = () => performance.timeOrigin + performance.now();
const emit = (m: FromPeers): void => void process.stdout.write(`${JSON.stringify(m)}\n`);
// Whatever else prints (libraries) goes to stderr: stdout carries the protocol only.
console.log = console.error;

// ---- participants ----

interface Participant {
  key: string;
  media: CallMedia;
  session?: JanusSession;
  pub?: JanusHandle;
  sub?: JanusHandle;
  pubPc?: PeerConnection;
  subPc?: PeerConnection;
  videoSource?: VideoSource;
  audioSource?: AudioSource;
  tracks: MediaStreamTrack[];
  sink?: VideoSink;
  privateId?: number;
  feedId?: number;
  /** The feed subscribed to (set once: a call has one other participant). */
  subscribedFeed?: number;
  pendingFeeds: number[];
  subscribe: boolean;
  received: ReceivedStats;
  left: boolean;
}

function waitGathered(pc: PeerConnection, timeoutMs = 5000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs); // send what was gathered
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState !== 'complete') return;
      clearTimeout(timer);
      resolve();
    };
  });
}

function addCandidate(pc: PeerConnection | undefined, m: JanusMessage): void {
  const c = m.candidate;
  if (!pc || !c || c.completed || !c.candidate) return;
  pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }).catch(() => undefined);
}

export class MediaPeers {
  private readonly participants = new Map<string, Participant>();
  private framesTotal = 0;
  private readonly clock: MediaClock;

  constructor(
    private readonly wrtc: Wrtc,
    private readonly settings: PeerSettings,
  ) {
    this.clock = new MediaClock(settings);
  }

  handle(cmd: ToPeers): void {
    if (cmd.type === 'join') {
      if (this.participants.has(cmd.key)) return emit({ type: 'error', key: cmd.key, message: 'already joined' });
      const p: Participant = {
        key: cmd.key,
        media: cmd.media,
        tracks: [],
        pendingFeeds: [],
        subscribe: cmd.subscribe,
        received: { frames: 0, maxGapMs: 0 },
        left: false,
      };
      this.participants.set(cmd.key, p);
      this.join(p, cmd.publish).catch((err: Error & { code?: number }) => this.fail(p, 'join', err));
    } else if (cmd.type === 'leave') {
      const p = this.participants.get(cmd.key);
      if (!p) return emit({ type: 'left', key: cmd.key, atMs: now(), received: { frames: 0, maxGapMs: 0 } });
      void this.leave(p);
    } else if (cmd.type === 'stats') {
      let receiving = 0;
      for (const p of this.participants.values()) if (p.received.frames > 0) receiving++;
      emit({ type: 'stats', id: cmd.id, atMs: now(), participants: this.participants.size, receiving, framesTotal: this.framesTotal });
    }
  }

  private fail(p: Participant, where: string, err: Error & { code?: number }): void {
    if (p.left) return;
    emit({ type: 'error', key: p.key, message: `${where}: ${err.message}`, ...(err.code !== undefined ? { code: err.code } : {}) });
  }

  private async join(p: Participant, publish: boolean): Promise<void> {
    p.session = await JanusSession.open(p.media.clientUrl);
    if (p.left) return void p.session.close();
    p.pub = await p.session.attach((m) => this.onPublisherEvent(p, m));
    const { data } = await p.pub.request({ request: 'join', ptype: 'publisher', room: p.media.roomId, token: p.media.token, display: p.key });
    p.privateId = data.private_id as number;
    p.feedId = data.id as number;
    emit({ type: 'joined', key: p.key, feedId: p.feedId, atMs: now() });
    this.offerFeeds(p, data.publishers);
    if (publish) await this.publish(p);
    for (const feed of p.pendingFeeds.splice(0)) this.maybeSubscribe(p, feed);
  }

  private async publish(p: Participant): Promise<void> {
    const pc = new this.wrtc.RTCPeerConnection({ iceServers: p.media.iceServers, bundlePolicy: 'max-bundle' });
    p.pubPc = pc;
    p.videoSource = new this.wrtc.nonstandard.RTCVideoSource();
    const video = p.videoSource.createTrack();
    p.tracks.push(video);
    pc.addTransceiver(video, { direction: 'sendonly' });
    if (this.settings.audio) {
      p.audioSource = new this.wrtc.nonstandard.RTCAudioSource();
      const audio = p.audioSource.createTrack();
      p.tracks.push(audio);
      pc.addTransceiver(audio, { direction: 'sendonly' });
      this.clock.addAudio(p.audioSource);
    }
    this.clock.addVideo(p.videoSource);
    await pc.setLocalDescription(await pc.createOffer());
    await waitGathered(pc);
    const { jsep } = await p.pub!.request({ request: 'publish' }, { type: 'offer', sdp: pc.localDescription!.sdp, trickle: false });
    if (!jsep) throw new Error('publish: Janus sent no answer');
    if (p.left) return;
    await pc.setRemoteDescription(jsep);
  }

  private onPublisherEvent(p: Participant, m: JanusMessage): void {
    if (m.janus === 'webrtcup') emit({ type: 'published', key: p.key, atMs: now() });
    else if (m.janus === 'trickle') addCandidate(p.pubPc, m);
    else if (m.janus === 'hangup' && !p.left) emit({ type: 'ended', key: p.key, reason: `publisher hangup: ${m.reason ?? ''}`, atMs: now() });
    else if (m.janus === 'event') {
      const data = m.plugindata?.data ?? {};
      if (data.videoroom === 'destroyed' && !p.left) emit({ type: 'ended', key: p.key, reason: 'room destroyed', atMs: now() });
      this.offerFeeds(p, data.publishers);
    }
  }

  private offerFeeds(p: Participant, publishers: unknown): void {
    if (!Array.isArray(publishers)) return;
    for (const pub of publishers as Array<{ id?: number }>) {
      if (typeof pub.id !== 'number' || pub.id === p.feedId) continue;
      if (p.privateId === undefined) p.pendingFeeds.push(pub.id);
      else this.maybeSubscribe(p, pub.id);
    }
  }

  private maybeSubscribe(p: Participant, feed: number): void {
    if (!p.subscribe || p.subscribedFeed !== undefined || p.left) return;
    p.subscribedFeed = feed;
    this.subscribeTo(p, feed).catch((err: Error & { code?: number }) => this.fail(p, 'subscribe', err));
  }

  private async subscribeTo(p: Participant, feed: number): Promise<void> {
    p.sub = await p.session!.attach((m) => {
      if (m.janus === 'trickle') addCandidate(p.subPc, m);
      else if (m.janus === 'hangup' && !p.left) emit({ type: 'ended', key: p.key, reason: `subscriber hangup: ${m.reason ?? ''}`, atMs: now() });
    });
    const { jsep: offer } = await p.sub.request({
      request: 'join',
      ptype: 'subscriber',
      room: p.media.roomId,
      token: p.media.token,
      private_id: p.privateId,
      streams: [{ feed }],
    });
    if (!offer) throw new Error('subscribe: Janus sent no offer');
    if (p.left) return;
    const pc = new this.wrtc.RTCPeerConnection({ iceServers: p.media.iceServers, bundlePolicy: 'max-bundle' });
    p.subPc = pc;
    pc.ontrack = ({ track }) => {
      if (track.kind !== 'video' || p.sink) return;
      const sink = new this.wrtc.nonstandard.RTCVideoSink(track);
      p.sink = sink;
      sink.onframe = ({ frame }) => this.onFrame(p, frame);
    };
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    await waitGathered(pc);
    await p.sub.request({ request: 'start', room: p.media.roomId }, { type: 'answer', sdp: pc.localDescription!.sdp, trickle: false });
  }

  private onFrame(p: Participant, frame: I420Frame): void {
    const at = now();
    const r = p.received;
    this.framesTotal++;
    r.frames++;
    if (r.lastFrameAtMs !== undefined) r.maxGapMs = Math.max(r.maxGapMs, at - r.lastFrameAtMs);
    r.lastFrameAtMs = at;
    r.width = frame.width;
    r.height = frame.height;
    if (r.frames === 1) {
      r.firstFrameAtMs = at;
      emit({ type: 'first-frame', key: p.key, atMs: at, width: frame.width, height: frame.height });
    }
  }

  private async leave(p: Participant): Promise<void> {
    if (p.left) return;
    p.left = true;
    const atMs = now();
    p.sink?.stop();
    p.sink = undefined;
    this.clock.remove(p.videoSource);
    this.clock.remove(p.audioSource);
    if (p.subPc) Object.assign(p.received, await inboundVideo(p.subPc).catch(() => ({})));
    for (const t of p.tracks) t.stop();
    p.pubPc?.close();
    p.subPc?.close();
    await p.session?.close().catch(() => undefined);
    this.participants.delete(p.key);
    emit({ type: 'left', key: p.key, atMs, received: p.received });
  }
}

async function inboundVideo(pc: PeerConnection): Promise<Partial<ReceivedStats>> {
  const stats = await pc.getStats();
  for (const s of stats.values()) {
    if (s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'video') {
      return {
        videoBytes: Number(s.bytesReceived ?? 0),
        videoPackets: Number(s.packetsReceived ?? 0),
        packetsLost: Number(s.packetsLost ?? 0),
      };
    }
  }
  return {};
}

// ---- entry point ----

function main(): void {
  const { values } = parseArgs({
    options: {
      width: { type: 'string', default: '640' },
      height: { type: 'string', default: '480' },
      fps: { type: 'string', default: '15' },
      audio: { type: 'boolean', default: false },
    },
  });
  const settings: PeerSettings = { width: Number(values.width), height: Number(values.height), fps: Number(values.fps), audio: values.audio };
  let wrtc: Wrtc;
  let version = '?';
  try {
    const require = createRequire(import.meta.url);
    wrtc = require('@roamhq/wrtc') as Wrtc;
    version = (require('@roamhq/wrtc/package.json') as { version: string }).version;
  } catch (err) {
    emit({ type: 'failed', message: `@roamhq/wrtc could not be loaded (npm ci installs it with its prebuilt binary): ${(err as Error).message}` });
    process.exit(1);
  }
  const peers = new MediaPeers(wrtc, settings);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    try {
      peers.handle(JSON.parse(line) as ToPeers);
    } catch (err) {
      emit({ type: 'failed', message: `bad command ${line.slice(0, 200)}: ${(err as Error).message}` });
    }
  });
  // The load generator went away: nothing is left to report to.
  lines.on('close', () => process.exit(0));
  emit({ type: 'ready', pid: process.pid, wrtc: version });
}

main();
