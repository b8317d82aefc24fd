import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { connect, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { createBacking, startInProcess, startNodeProcess, type Backing, type InProcessNode, type NodeProcess } from '../support/pairly.js';
import { pgQuery } from '../support/services.js';
import { createLogger } from '../../server/src/logger.js';

/**
 * A node killed with SIGKILL: its users go offline on the survivor with the
 * last moment the dead node proved alive (its last heartbeat) as their
 * lastSeen, not the moment the survivor noticed; and the survivor's log
 * line about it names each node once.
 */
let backing: Backing;
let survivor: InProcessNode;
let doomed: NodeProcess;
const lines: string[] = [];

beforeAll(async () => {
  backing = await createBacking();
  const env = { ...backing.env, PRESENCE_TTL_SECONDS: '3' };
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  [survivor, doomed] = await Promise.all([
    startInProcess({ ...env, NODE_ID: 'survivor' }, createLogger({ level: 'warn', nodeId: 'survivor' }, sink)),
    startNodeProcess(env),
  ]);
});
afterAll(async () => {
  await doomed?.kill('SIGKILL');
  await survivor?.stop();
  await backing?.cleanup();
});

const ack = (s: ClientSocket, event: string, payload: unknown) => (s as any).timeout(3000).emitWithAck(event, payload) as Promise<any>;

describe('a crashed node\'s users', () => {
  it('go offline with their last heartbeat as lastSeen, and the reaping log line has one node key', async () => {
    const watcher = await newUser(survivor.url);
    const traveller = await newUser(survivor.url);
    const w = await connect(survivor.url, watcher.accessToken);
    await ack(w, 'chat:send', { toUserId: traveller.user.id, clientId: randomUUID(), body: 'hi' });
    const updates: any[] = [];
    w.on('presence:update', (p: any) => updates.push(...p.updates.filter((u: any) => u.userId === traveller.user.id)));

    const t = await connect(doomed.url, traveller.accessToken);
    await waitFor(() => updates.some((u) => u.status === 'online'), 15_000, 'online');
    const killedAt = Date.now();
    await doomed.kill('SIGKILL');
    t.close();
    const offline = await waitFor(() => updates.find((u) => u.status === 'offline'), 20_000, 'offline');

    // The dead node's last heartbeat came before the kill; the survivor noticed a TTL later.
    expect(new Date(offline.lastSeen).getTime()).toBeLessThanOrEqual(killedAt);
    const [row] = await pgQuery<{ last_seen_at: Date }>(backing.databaseUrl, 'SELECT last_seen_at FROM users WHERE id = $1', [traveller.user.id]);
    expect(row!.last_seen_at.getTime()).toBe(new Date(offline.lastSeen).getTime());

    const reaped = lines.filter((l) => l.includes('reaped the sockets'));
    expect(reaped.length).toBeGreaterThan(0);
    for (const l of reaped) expect(l.match(/"node":/g)).toHaveLength(1);
    w.close();
  });
});
