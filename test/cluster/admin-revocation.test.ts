import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, http, nextEvent, type ClientSocket } from '../support/client.js';
import { newAdminViaCli } from '../support/admin-cli.js';
import { codeAt } from '../support/two-factor.js';
import { createBacking, startNodeProcess, type Backing, type NodeProcess } from '../support/pairly.js';

/**
 * Revoking a session closes its sockets in every namespace on every node:
 * an admin's `/admin` socket on node B is closed when the session is logged
 * out (or its refresh token reused) on node A, not left receiving snapshots
 * until its access token expires.
 */
let backing: Backing;
let a: NodeProcess;
let b: NodeProcess;

beforeAll(async () => {
  backing = await createBacking();
  [a, b] = await Promise.all([startNodeProcess(backing.env), startNodeProcess(backing.env)]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await backing?.cleanup();
});

const connectAdmin = (url: string, token: string) => connect(`${url}/admin`, token) as Promise<ClientSocket>;

describe('revocation across namespaces and nodes', () => {
  it('logout on node A closes the session\'s /admin socket on node B', async () => {
    const admin = await newAdminViaCli(backing.env, a.url);
    const adminOnB = await connectAdmin(b.url, admin.accessToken);
    await nextEvent(adminOnB, 'admin:snapshot', 5000);
    const mainOnB = await connect(b.url, admin.accessToken);
    const revoked = nextEvent<{ reason: string }>(adminOnB, 'auth:revoked');
    const adminGone = nextEvent<string>(adminOnB, 'disconnect');
    const mainGone = nextEvent<string>(mainOnB, 'disconnect');

    expect((await http(a.url, 'POST', '/api/auth/logout', { token: admin.accessToken })).status).toBe(204);
    expect((await revoked).reason).toBe('logout');
    expect(await adminGone).toBe('io server disconnect');
    expect(await mainGone).toBe('io server disconnect');
    await expect(connectAdmin(b.url, admin.accessToken)).rejects.toMatchObject({ data: { code: 'SESSION_REVOKED' } });
  });

  it('refresh-token reuse on node A closes the session\'s /admin socket on node B; the admin\'s other session lives on', async () => {
    const admin = await newAdminViaCli(backing.env, a.url);
    const rotated = await http(a.url, 'POST', '/api/auth/refresh', { body: { refreshToken: admin.refreshToken } });
    expect(rotated.status).toBe(200);
    const adminOnB = await connectAdmin(b.url, rotated.body.accessToken);
    // Another login of the admin's, with its second step (the enrolment used this 30-second step's code).
    const challenge = (await http(b.url, 'POST', '/api/auth/login', { body: { email: admin.email, password: admin.password } })).body.error.details.challenge;
    const other = await http(b.url, 'POST', '/api/auth/login/2fa', { body: { challenge, code: codeAt(admin.secret!, 1) } });
    const otherOnB = await connectAdmin(b.url, other.body.accessToken);
    const gone = nextEvent<string>(adminOnB, 'disconnect');

    const reuse = await http(a.url, 'POST', '/api/auth/refresh', { body: { refreshToken: admin.refreshToken } });
    expect(reuse.body.error.code).toBe('TOKEN_REUSED');
    expect(await gone).toBe('io server disconnect');
    // The other session's admin socket still answers.
    const online = await (otherOnB as any).timeout(5000).emitWithAck('admin:online', {});
    expect(online).toMatchObject({ ok: true });
    expect(otherOnB.connected).toBe(true);
    otherOnB.close();
  });
});
