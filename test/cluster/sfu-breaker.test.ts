import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { assertJanusInstalled, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';
import { createBacking, startInProcess, type Backing, type InProcessNode } from '../support/pairly.js';
import { createSfuController, NoHealthySfuError, type SfuController } from '../../sfu/src/index.js';

/**
 * The circuit breaker in front of each Janus instance, against a real Janus
 * (Debian's package, in a test network namespace) frozen with SIGSTOP: it
 * accepts connections and never answers. After SFU_BREAKER_FAILURES requests
 * time out the breaker opens: the instance is reported unhealthy and skipped
 * without being asked, a call cannot be answered (SFU_UNAVAILABLE), /readyz
 * and /metrics name the open breaker; thawed, a trial request closes it.
 */
let netns: TestNetns | undefined;
let janus: JanusProcess;
let backing: Backing;
let node: InProcessNode;
let sfu: SfuController;
const sockets: ClientSocket[] = [];
const SECRET = 'sfu-breaker-secret-0123456789abcdefghij';

beforeAll(async () => {
  assertNetnsSupport();
  assertJanusInstalled();
  netns = createNetns();
  [janus, backing] = await Promise.all([startJanus(netns), createBacking()]);
  const instances = [{ id: 'janus-1', apiUrl: janus.apiUrl, clientUrl: janus.wsUrl, adminSecret: janus.adminKey }];
  node = await startInProcess({
    ...backing.env,
    SFU_TIMEOUT_MS: '500',
    SFU_BREAKER_FAILURES: '2',
    SFU_BREAKER_HALF_OPEN_MS: '1000',
    SFU_JANUS_INSTANCES: JSON.stringify(instances),
  });
  sfu = createSfuController({ instances, secret: SECRET, timeoutMs: 500, circuit: { failures: 2, halfOpenMs: 1000 } });
}, 60_000);
afterAll(async () => {
  sockets.forEach((s) => s.close());
  if (janus?.child.pid) janus.child.kill('SIGCONT');
  await sfu?.close();
  await node?.stop();
  await janus?.stop();
  netns?.remove();
  await backing?.cleanup();
});

/** SIGSTOP, then wait until every thread has stopped (a group stop is asynchronous). */
async function freeze(j: JanusProcess): Promise<void> {
  const pid = j.child.pid as number;
  j.child.kill('SIGSTOP');
  const states = () => readdirSync(`/proc/${pid}/task`).map((t) => /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1]);
  await waitFor(() => states().every((s) => s === 'T'), 5000, 'Janus stopped');
}

const ack = (s: ClientSocket, event: string, payload: unknown) => (s as any).timeout(8000).emitWithAck(event, payload) as Promise<any>;
/** A free call answered by the callee: the answer is what creates the Janus room. */
async function answerACall(): Promise<any> {
  const [caller, callee] = [await newUser(node.url, { role: 'creator' }), await newUser(node.url)];
  const [a, b] = [await connect(node.url, caller.accessToken), await connect(node.url, callee.accessToken)];
  sockets.push(a, b);
  const invited = await ack(a, 'call:invite', { toUserId: callee.user.id, video: true });
  expect(invited.ok).toBe(true);
  return ack(b, 'call:accept', { callId: invited.call.id });
}
const readyz = async () => (await http(node.url, 'GET', '/readyz')).body;
const metricState = async (breaker: string) => {
  const text = (await http<string>(node.url, 'GET', '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith('pairly_circuit_breaker_state{') && l.includes(`breaker="${breaker}"`) && l.endsWith(' 1'));
  return /state="([^"]+)"/.exec(line ?? '')?.[1];
};

describe('a Janus that hangs', () => {
  it('opens its breaker: skipped without being asked, calls refused with SFU_UNAVAILABLE, reported; a trial closes it once Janus answers', async () => {
    expect((await answerACall()).ok).toBe(true);
    expect(sfu.circuits()).toEqual({ 'janus-1': 'closed' });
    expect((await readyz()).breakers['sfu:janus-1']).toBe('closed');

    await freeze(janus);
    // The controller: two requests time out, the third is not sent.
    for (let i = 0; i < 2; i++) expect((await sfu.health())[0]).toMatchObject({ healthy: false, error: 'janus janus-1: no answer within 500 ms' });
    expect(sfu.circuits()).toEqual({ 'janus-1': 'open' });
    expect((await sfu.health())[0]?.error).toMatch(/circuit open/);
    const refused = await sfu.createRoom('call-while-open', ['a', 'b']).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NoHealthySfuError);
    expect((refused as Error).message).toMatch(/circuit open/);

    // The server: answering calls fails with SFU_UNAVAILABLE until its own breaker opens, and after.
    for (let i = 0; i < 3; i++) expect((await answerACall()).error.code).toBe('SFU_UNAVAILABLE');
    const ready = await readyz();
    expect(ready).toMatchObject({ status: 'ready', breakers: { 'sfu:janus-1': 'open' } });
    expect(await metricState('sfu:janus-1')).toBe('open');

    janus.child.kill('SIGCONT');
    await waitFor(async () => (await sfu.health())[0]?.healthy, 15_000, 'the controller to use Janus again');
    expect(sfu.circuits()).toEqual({ 'janus-1': 'closed' });
    await waitFor(async () => (await answerACall()).ok, 15_000, 'a call answered through the recovered Janus');
    expect((await readyz()).breakers['sfu:janus-1']).toBe('closed');
  });
});
