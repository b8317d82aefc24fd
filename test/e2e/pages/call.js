/* global Janus */
// A minimal VideoRoom client on Janus's own janus.js, the way a Pairly call
// page uses it: ?role=publisher|subscriber&server=<Janus WebSocket>&room=<id>&token=<token>[&feed=<publisher id>].
//
// Every participant first joins the room as a publisher with its own token
// (the room's `allowed` list); that join returns a private_id, which the room
// (require_pvtid) demands from every subscription. The publisher then
// publishes its fake camera; the subscriber subscribes to the given feed on a
// second handle. The test reads window.pairly and calls window.pairlyVideoStats().
'use strict';

const q = new URLSearchParams(location.search);
const role = q.get('role');
const server = q.get('server');
const room = Number(q.get('room'));
const token = q.get('token');
const feed = Number(q.get('feed'));
const state = (window.pairly = {
  role,
  joined: false,
  feedId: null,
  published: false,
  webrtcUp: false,
  remoteVideo: false,
  destroyed: false,
  error: null,
});
let janus;
let participant; // the handle that joined the room
let subscription; // the handle that receives the other participant's feed

function fail(where, err) {
  state.error = `${where}: ${typeof err === 'string' ? err : err && err.message ? err.message : JSON.stringify(err)}`;
}

window.pairlyVideoStats = async () => {
  const pc = subscription && subscription.webrtcStuff && subscription.webrtcStuff.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  let video = null;
  let path = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      const codec = s.codecId ? stats.get(s.codecId) : undefined;
      video = { framesDecoded: s.framesDecoded || 0, packetsReceived: s.packetsReceived || 0, width: s.frameWidth, height: s.frameHeight, codec: codec && codec.mimeType };
    }
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = stats.get(s.selectedCandidatePairId);
      const local = pair && stats.get(pair.localCandidateId);
      const remote = pair && stats.get(pair.remoteCandidateId);
      path = { local: local && local.address, remote: remote && `${remote.address}:${remote.port}`, protocol: local && local.protocol };
    }
  });
  return video && { ...video, path };
};

function publish() {
  participant.createOffer({
    tracks: [
      { type: 'audio', capture: true, recv: false },
      { type: 'video', capture: true, recv: false },
    ],
    success: (jsep) => participant.send({ message: { request: 'publish', audio: true, video: true }, jsep }),
    error: (err) => fail('createOffer', err),
  });
}

function subscribe(privateId) {
  janus.attach({
    plugin: 'janus.plugin.videoroom',
    success: (h) => {
      subscription = h;
      h.send({ message: { request: 'join', ptype: 'subscriber', room, token, private_id: privateId, streams: [{ feed }] } });
    },
    error: (err) => fail('attach subscription', err),
    webrtcState: (up) => {
      state.webrtcUp = up;
    },
    onmessage: (msg, jsep) => {
      if (msg.error_code) return fail('subscribe', msg);
      if (!jsep) return;
      subscription.createAnswer({
        jsep,
        // Audio and video are accepted recvonly since nothing is captured here.
        tracks: [{ type: 'data' }],
        success: (answer) => subscription.send({ message: { request: 'start', room }, jsep: answer }),
        error: (err) => fail('createAnswer', err),
      });
    },
    onremotetrack: (track, mid, on) => {
      if (track.kind !== 'video' || !on) return;
      document.getElementById('remote').srcObject = new MediaStream([track]);
      state.remoteVideo = true;
    },
  });
}

function onParticipantMessage(msg, jsep) {
  if (msg.error_code) return fail('videoroom', msg);
  if (msg.videoroom === 'destroyed') state.destroyed = true;
  if (msg.videoroom === 'joined') {
    state.joined = true;
    state.feedId = msg.id;
    if (role === 'publisher') publish();
    else subscribe(msg.private_id);
  }
  if (msg.configured === 'ok') state.published = true;
  if (jsep) participant.handleRemoteJsep({ jsep, error: (err) => fail('remote jsep', err) });
}

Janus.init({
  debug: false,
  dependencies: Janus.useDefaultDependencies(),
  callback: () => {
    janus = new Janus({
      server,
      success: () =>
        janus.attach({
          plugin: 'janus.plugin.videoroom',
          success: (h) => {
            participant = h;
            h.send({ message: { request: 'join', ptype: 'publisher', room, token, display: role } });
          },
          error: (err) => fail('attach', err),
          webrtcState: (up) => {
            if (role === 'publisher') state.webrtcUp = up;
          },
          onmessage: onParticipantMessage,
        }),
      error: (err) => fail('session', err),
    });
  },
});
