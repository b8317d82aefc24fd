import { LatencyRecorder } from '../../lib/recorder.js';
import { LoadError, type RequestLoop } from '../../lib/scenario.js';
import { clientTargets, closeAll, connectAll, timed } from '../../lib/sessions.js';
import { callSignals, userIdOf } from './signals.js';

/**
 * Call signaling through the SFU: each "client" is a caller/callee pair (two
 * users, two sockets, on different nodes when there are several URLs). One
 * request = call:invite → call:ringing on the callee → call:accept (Pairly
 * asks the SFU controller for a Janus room) → call:accepted on the caller →
 * call:hangup → call:ended. The runner times the whole cycle; the set-up part
 * (invite sent → caller holds its media credentials) is recorded separately
 * and printed at the end. Needs servers with SFU_JANUS_INSTANCES set. No
 * media flows: this measures signaling and room set-up, not Janus's media path.
 */
export const signalingLoop: RequestLoop = {
  async open(opts) {
    if (!opts.auth) throw new Error('the calls scenario has no bare baseline: it needs Pairly and an SFU');
    const setupMs: Record<string, number> = {};
    // Caller 2i on urls[2i % n], callee 2i+1 on the next URL: pairs cross nodes in a cluster.
    const targets = await timed(setupMs, 'signup', () => clientTargets(opts.urls, opts.clients * 2, { auth: true, concurrency: opts.setupConcurrency }));
    const sockets = await timed(setupMs, 'connect', () => connectAll(targets, opts.setupConcurrency));
    const userIds = targets.map((t) => userIdOf(t.token!));
    opts.log(`${opts.clients} call pairs (${sockets.length} sockets) ready in ${(setupMs.signup ?? 0) + (setupMs.connect ?? 0)} ms`);
    const setup = new LatencyRecorder();
    const { once, ack } = callSignals(opts.timeoutMs, (code, message, fatal) => new LoadError(code, message, fatal));

    return {
      clients: opts.clients,
      setupMs,
      async request(i) {
        const caller = sockets[2 * i]!;
        const callee = sockets[2 * i + 1]!;
        const t0 = performance.now();
        const ringing = once<any>(callee, 'call:ringing', () => true);
        const { call } = await ack(caller, 'call:invite', { toUserId: userIds[2 * i + 1], video: true });
        await ringing;
        const accepted = once<any>(caller, 'call:accepted', (p) => p.call.id === call.id);
        await ack(callee, 'call:accept', { callId: call.id });
        await accepted;
        setup.record(performance.now() - t0);
        const ended = once<any>(callee, 'call:ended', (p) => p.call.id === call.id);
        await ack(caller, 'call:hangup', { callId: call.id });
        await ended;
      },
      async close() {
        const s = setup.summary();
        opts.log(`call set-up (invite → caller has media credentials): n=${s.count} p50=${s.p50.toFixed(1)} ms p95=${s.p95.toFixed(1)} ms p99=${s.p99.toFixed(1)} ms max=${s.max.toFixed(1)} ms`);
        await closeAll(sockets);
      },
    };
  },
};
