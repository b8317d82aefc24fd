import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { CallMedia } from '../../../shared/calls.js';
import { JanusSession, type JanusHandle, type JanusMessage } from './janus-ws.js';
import type { FromPeers, PeerSettings, ReceivedStats, ToPeers } from './media-protocol.js';

/**
 * The media-peer process: `ip netns exec <ns> node --import tsx
 * test/load/lib/media-peers.ts --width 640 --height 480 --fps 15 [--audio]`,
 * inside the Janus network namespace (Janus never uses loopback for media),
 * driven by the load generator over JSON lines (media-protocol.ts).
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

// ---- @roamhq/wrtc, typed for what is used here (its own types need the DOM lib) ----

interface SessionDescription {
  type: string;
  sdp: string;
}
interface MediaStreamTrack {
  kind: string;
  stop(): void;
}
interface PeerConnection {
  iceGatheringState: string;
  connectionState: string;
  localDescription: SessionDescription | null;
  onicegatheringstatechange: (() => void) | null;
  ontrack: ((e: { track: MediaStreamTrack }) => void) | null;
  onconnectionstatechange: (() => void) | null;
  addTransceiver(trackOrKind: MediaStreamTrack | string, init?: { direction?: string }): unknown;
  createOffer(): Promise<SessionDescription>;
  createAnswer(): Promise<SessionDescription>;
  setLocalDescription(d: SessionDescription): Promise<void>;
  setRemoteDescription(d: SessionDescription): Promise<void>;
  addIceCandidate(c: { candidate?: string; sdpMid?: string; sdpMLineIndex?: number }): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  close(): void;
}
interface I420Frame {
  width: number;
  height: number;
  data: Uint8Array;
}
interface VideoSource {
  createTrack(): MediaStreamTrack;
  onFrame(frame: I420Frame): void;
}
interface AudioSource {
  createTrack(): MediaStreamTrack;
  onData(data: { samples: Int16Array; sampleRate: number; bitsPerSample?: number; channelCount?: number; numberOfFrames?: number }): void;
}
interface VideoSink {
  onframe: ((e: { frame: I420Frame }) => void) | null;
  stop(): void;
}
interface Wrtc {
  RTCPeerConnection: new (config: { iceServers: CallMedia['iceServers']; bundlePolicy?: string }) => PeerConnection;
  nonstandard: {
    RTCVideoSource: new () => VideoSource;
    RTCAudioSource: new () => AudioSource;
    RTCVideoSink: new (track: MediaStreamTrack) => VideoSink;
  };
}

const now = () => performance.timeOrigin + performance.now();
const emit = (m: FromPeers): void => void process.stdout.write(`${JSON.stringify(m)}\n`);
// Whatever else prints (libraries) goes to stderr: stdout carries the protocol only.
console.log = console.error;

// ---- synthetic media ----

/**
 * Precomputed I420 frames, two seconds of them, cycled: a scrolling diagonal
 * gradient, a bright square crossing the picture and a little noise
 * everywhere, so the encoder sees motion and detail every frame, roughly
 * what a camera gives (a still image would cost almost no bits and flatter
 * Janus; pure noise would make the encoder drop frames).
 */
function syntheticFrames(width: number, height: number, count: number): I420Frame[] {
  const ySize = width * height;
  const cSize = (width >> 1) * (height >> 1);
  const side = Math.max(8, Math.round(Math.min(width, height) / 6));
  const frames: I420Frame[] = [];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0x07;
  for (let f = 0; f < count; f++) {
    const data = new Uint8Array(ySize + 2 * cSize);
    const sx = Math.round(((width - side) * f) / count);
    const sy = Math.round(((height - side) * (1 + Math.sin((2 * Math.PI * f) / count))) / 2);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const square = x >= sx && x < sx + side && y >= sy && y < sy + side;
        data[y * width + x] = square ? 235 : 16 + ((x + 2 * y + f * 6) % 200) + rand();
      }
    }
    for (let i = 0; i < cSize; i++) {
      data[ySize + i] = 128 + ((i + f * 3) % 40) - 20;
      data[ySize + cSize + i] = 128 - ((i >> 4) % 30) + 15;
    }
    frames.push({ width, height, data });
  }
  return frames;
}

class MediaClock {
  private readonly video = new Set<VideoSource>();
  private readonly audio = new Set<AudioSource>();
  private readonly frames: I420Frame[];
  private tick = 0;
  private audioSent = 0;
  private readonly audioStart = now();
  private readonly tone = new Int16Array(480);

  constructor(private readonly s: PeerSettings) {
    this.frames = syntheticFrames(s.width, s.height, Math.max(2, s.fps * 2));
    for (let i = 0; i < this.tone.length; i++) this.tone[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 48_000));
    setInterval(() => this.pushVideo(), 1000 / s.fps);
    if (s.audio) setInterval(() => this.pushAudio(), 10);
  }

  addVideo(v: VideoSource): void {
    this.video.add(v);
  }
  addAudio(a: AudioSource): void {
    this.audio.add(a);
  }
  remove(src: VideoSource | AudioSource | undefined): void {
    if (!src) return;
    this.video.delete(src as VideoSource);
    this.audio.delete(src as AudioSource);
  }

  private pushVideo(): void {
    const frame = this.frames[this.tick++ % this.frames.length]!;
    for (const v of this.video) v.onFrame(frame);
  }

  /** 10 ms Opus frames of a 440 Hz tone; catches up when the timer ran late. */
  private pushAudio(): void {
    const due = Math.floor((now() - this.audioStart) / 10);
    for (; this.audioSent < due; this.audioSent++) {
      for (const a of this.audio) a.onData({ samples: this.tone, sampleRate: 48_000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
    }
  }
}

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
