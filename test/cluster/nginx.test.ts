import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AckResponse, ClientEventResults } from '../../shared/events.js';
import { loadConfig } from '../../server/src/config.js';
import { connect, http, newUser, waitFor, type ClientSocket } from '../support/client.js';
import { createUpload, noisePng, processed, sendUpload } from '../support/media.js';
import {
  createBacking,
  freePort,
  ROOT,
  startNodeProcess,
  tempDir,
  type Backing,
  type NodeProcess,
} from '../support/pairly.js';
import { assertJanusInstalled, startJanus, type JanusProcess } from '../support/janus.js';
import { assertNetnsSupport, createNetns, type TestNetns } from '../support/netns.js';
import { WEB_TEST_DIR } from '../support/web-build.js';

/**
 * The committed nginx/nginx.conf, run by Debian's nginx in front of two real
 * server processes. Only addresses and file paths are rewritten, so routing,
 * headers and the stickiness rule under test are the production ones.
 *
 *   client 127.0.0.2 ─┐                      ┌─► node A (127.0.0.1:a)
 *   client 127.0.0.3 ─┼─► nginx 127.0.0.1:n ─┤   hash $remote_addr consistent
 *   client 127.0.0.k ─┘                      └─► node B (127.0.0.1:b)
 *
 * Each Socket.IO client binds its own loopback source address (through an
 * http.Agent, which engine.io-client hands to both its polling and its
 * websocket transport), starts on long-polling and upgrades to websocket. Without
 * stickiness the polling requests of one session would reach both nodes and
 * the session would fail with "Session ID unknown".
 *
 * The `janus_ws` upstream points at a real Janus in a test network namespace
 * (started by sfu/janus/janus-start.sh, as in the compose file), so
 * /janus-ws is tested through to Janus's WebSocket API.
 *
 * The nodes store media with the local driver in one shared data dir (as one
 * volume would be), and node A runs the jobs, so an upload goes through
 * nginx's upload location to either node and is processed and read back
 * through its read location.
 */

const NGINX = '/usr/sbin/nginx';
const MIN_CLIENTS = 8;
// Ketama can put the first 8 addresses all on one node (about 1 port pair in
// 120 here); then more clients join until both nodes are seen. Simulating
// nginx's ketama for every port pair freePort() can hand out, 16 addresses
// always reached both nodes.
const MAX_CLIENTS = 32;

let backing: Backing | undefined;
const nodes: NodeProcess[] = [];
let dir: { path: string; remove(): void } | undefined;
let mediaDir: { path: string; remove(): void } | undefined;
let nginx: ChildProcess | undefined;
let nginxExited: Promise<unknown> | undefined;
let url: string;
let netns: TestNetns | undefined;
let janus: JanusProcess | undefined;
const sockets: ClientSocket[] = [];
const agents: Agent[] = [];

/** Rewrites nginx/nginx.conf to run here; each rule must match, so a changed config fails loudly. */
function testConfig(source: string, opts: { upstreamPorts: number[]; listenPort: number; dir: string; janusWs: string }): string {
  let conf = source;
  const rewrite = (what: string, re: RegExp, to: (...m: string[]) => string, expected?: number) => {
    const count = conf.match(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))?.length ?? 0;
    if (count === 0 || (expected !== undefined && count !== expected)) {
      throw new Error(`nginx/nginx.conf: expected ${expected ?? 'at least one'} ${what}, found ${count}`);
    }
    conf = conf.replace(re, to);
  };
  rewrite('`upstream pairly { ... }` block', /upstream pairly \{[^}]*\}/, (block) => {
    let i = 0;
    const rewritten = block.replace(/^(\s*server\s+)\S+?(\s[^;]*)?;[^\n]*\n/gm, (_m, head: string, params = '') =>
      i < opts.upstreamPorts.length ? `${head}127.0.0.1:${opts.upstreamPorts[i++]}${params};\n` : '',
    );
    if (i !== opts.upstreamPorts.length) throw new Error(`nginx/nginx.conf: the upstream has fewer than ${opts.upstreamPorts.length} servers`);
    return rewritten;
  }, 1);
  rewrite('`upstream janus_ws { ... }` block', /(upstream janus_ws \{[^}]*?server\s+)\S+?(\s[^;]*)?;/, (_m, head = '', params = '') => `${head}${opts.janusWs}${params};`, 1);
  rewrite('web app `root`', /^(\s*)root\s+[^;]+;/m, (_m, indent = '') => `${indent}root ${WEB_TEST_DIR};`, 1);
  rewrite('`listen` directive', /^(\s*)listen\s+[^;]+;/m, (_m, indent = '') => `${indent}listen 127.0.0.1:${opts.listenPort};`, 1);
  rewrite('log directive', /\b(access_log|error_log)\s+(?!off\b)[^\s;]+/g, (_m, d = '') => `${d} ${opts.dir}/${d}.log`);
  const main = [
    'daemon off;',
    `pid ${opts.dir}/nginx.pid;`,
    // As root nginx would switch its workers to `nobody`, who cannot enter the private temp dir.
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
  ];
  conf = conf.replace(/^\s*(user|pid|daemon)\s[^;]*;[^\n]*\n/gm, '');
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${opts.dir}/${t}_temp;`);
  rewrite('`http {` block', /^http\s*\{\n/m, (m) => `${m}${temps.join('\n')}\n`, 1);
  return `${main.join('\n')}\n${conf}`;
}

function nginxLog(name: 'error_log' | 'access_log'): string {
  try {
    return readFileSync(join(dir!.path, `${name}.log`), 'utf8');
  } catch {
    return '';
  }
}

type Ping = AckResponse<ClientEventResults['system:ping']>;

function ping(socket: ClientSocket): Promise<Ping> {
  return socket.timeout(10_000).emitWithAck('system:ping', {});
}

/** Resolves once the engine runs on websocket; rejects on an upgrade error. */
function upgraded(socket: ClientSocket): Promise<void> {
  const engine = socket.io.engine;
  if (engine.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still on ${engine.transport.name} after 15 s`)), 15_000);
    engine.once('upgrade', () => (clearTimeout(timer), resolve()));
    engine.once('upgradeError', (err: Error) => (clearTimeout(timer), reject(err)));
  });
}

interface ClientRun {
  address: string;
  before: Ping;
  after: Ping;
  transport: string;
  disconnected: string[];
}

async function runClient(index: number): Promise<ClientRun> {
  const address = `127.0.0.${index + 2}`;
  const agent = new Agent({ localAddress: address });
  agents.push(agent);
  // Made on a node directly: signing up 8 to 32 users at once through nginx is what its auth zone refuses.
  const user = await newUser(nodes[0]!.url);
  const socket = await connect(url, user.accessToken, {
    transports: ['polling', 'websocket'],
    upgrade: true,
    // engine.io-client types `agent` as string | boolean (browser builds), but in
    // Node it passes the value to http.request (polling) and to ws (websocket).
    agent: agent as unknown as string,
  });
  sockets.push(socket);
  const disconnected: string[] = [];
  socket.on('disconnect', (reason) => disconnected.push(reason));
  const before = await ping(socket);
  await upgraded(socket);
  const after = await ping(socket);
  return { address, before, after, transport: socket.io.engine.transport.name, disconnected };
}

const nodeIdOf = (p: Ping) => (p.ok ? p.nodeId : `error ${p.error.code}`);

// Outside the describe, so a missing nginx is a failed test and not only a failed hook.
it('has Debian nginx at /usr/sbin/nginx', () => {
  expect(existsSync(NGINX), `${NGINX} is missing: apt-get install -y nginx (.ci/run installs it)`).toBe(true);
});

it('balances with `hash $remote_addr consistent`, not ip_hash', () => {
  const conf = readFileSync(join(ROOT, 'nginx/nginx.conf'), 'utf8');
  const upstream = /upstream pairly \{([^}]*)\}/.exec(conf)?.[1] ?? '';
  expect(upstream).toMatch(/^\s*hash \$remote_addr consistent;/m);
  expect(upstream).not.toMatch(/^\s*ip_hash/m);
});

/** The body of `location <path> { ... }` in nginx/nginx.conf (no nested blocks in these). */
function locationBlock(path: string): string {
  const conf = readFileSync(join(ROOT, 'nginx/nginx.conf'), 'utf8');
  const block = new RegExp(`^\\s*location (?:\\^~ )?${path.replace(/[/.]/g, '\\$&')} \\{([^}]*)\\}`, 'm').exec(conf)?.[1];
  if (block === undefined) throw new Error(`nginx/nginx.conf has no \`location ${path} { ... }\``);
  return block;
}

it('lets local-driver uploads as large as the default video limit through, streamed, and nothing larger', () => {
  const upload = locationBlock('/api/media/uploads/');
  const size = /^\s*client_max_body_size\s+(\d+)([kmg]?);/im.exec(upload);
  expect(size, 'client_max_body_size in the upload location').not.toBeNull();
  const bytes = Number(size![1]) * 1024 ** ' kmg'.indexOf((size![2] || ' ').toLowerCase());
  expect(bytes).toBe(loadConfig({}).media.limits.videoMaxBytes);
  expect(upload).toMatch(/^\s*proxy_request_buffering off;/m);
  expect(upload).toMatch(/^\s*limit_req zone=pairly_api burst=\d+ nodelay;/m);
  // Reads take no body: the server-wide 1 MiB stays in force there.
  expect(locationBlock('/api/media/files/')).not.toMatch(/client_max_body_size/);
});

describe('nginx/nginx.conf in front of two nodes', () => {
  beforeAll(async () => {
    if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install -y nginx (.ci/run installs it)`);
    assertNetnsSupport();
    assertJanusInstalled();
    netns = createNetns();
    janus = await startJanus(netns);
    backing = await createBacking();
    mediaDir = tempDir('pairly-nginx-media');
    const env = { ...backing.env, MEDIA_STORAGE: 'local', PAIRLY_DATA_DIR: mediaDir.path };
    nodes.push(...(await Promise.all([startNodeProcess({ ...env, RUN_WORKERS: 'true' }), startNodeProcess(env)])));
    dir = tempDir('pairly-nginx');
    const port = freePort();
    const source = readFileSync(join(ROOT, 'nginx/nginx.conf'), 'utf8');
    const conf = join(dir.path, 'nginx.conf');
    writeFileSync(conf, testConfig(source, { upstreamPorts: nodes.map((n) => n.port), listenPort: port, dir: dir.path, janusWs: new URL(janus.wsUrl).host }));
    const args = ['-p', `${dir.path}/`, '-e', join(dir.path, 'error_log.log'), '-c', conf];
    const check = spawnSync(NGINX, ['-t', ...args], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`nginx -t rejected the rewritten config:\n${check.stderr}\n${readFileSync(conf, 'utf8')}`);

    let output = '';
    nginx = spawn(NGINX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stdout!.on('data', (d) => (output += d));
    nginx.stderr!.on('data', (d) => (output += d));
    nginxExited = new Promise((resolve) => nginx!.once('exit', resolve));
    url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (nginx!.exitCode !== null) throw new Error(`nginx exited (${nginx!.exitCode}):\n${output}${nginxLog('error_log')}`);
        return fetch(`${url}/healthz`).then((r) => r.ok, () => false);
      },
      20_000,
      'nginx to answer /healthz',
    );
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const a of agents) a.destroy();
    if (nginx && nginx.exitCode === null && nginx.signalCode === null) nginx.kill('SIGTERM');
    await nginxExited;
    await Promise.all(nodes.map((n) => n.stop()));
    await backing?.cleanup();
    await janus?.stop();
    netns?.remove();
    dir?.remove();
    mediaDir?.remove();
  }, 60_000);

  it('keeps every polling-then-websocket session on one node, and spreads addresses over both', async () => {
    const runs = await Promise.all(Array.from({ length: MIN_CLIENTS }, (_, i) => runClient(i)));
    const seen = () => new Set(runs.map((r) => nodeIdOf(r.after)));
    while (seen().size < nodes.length && runs.length < MAX_CLIENTS) runs.push(await runClient(runs.length));

    for (const r of runs) {
      expect(r.before, r.address).toMatchObject({ ok: true });
      expect(r.after, r.address).toMatchObject({ ok: true });
      expect(r.transport, r.address).toBe('websocket');
      expect(nodeIdOf(r.after), r.address).toBe(nodeIdOf(r.before));
      expect(r.disconnected, r.address).toEqual([]);
    }
    expect([...seen()].sort()).toEqual(nodes.map((n) => `node-${n.port}`).sort());

    // nginx's own view: each source address reached exactly one upstream, the
    // node that answered its pings. A websocket is logged when it closes.
    for (const s of sockets) s.close();
    const lines = () => nginxLog('access_log').split('\n').filter((l) => l.includes('/socket.io/'));
    await waitFor(
      () => runs.every((r) => lines().some((l) => l.startsWith(`${r.address} `) && / 101 /.test(l))),
      15_000,
      'every websocket to appear in the access log',
    );
    for (const r of runs) {
      const upstreams = new Set(
        lines()
          .filter((l) => l.startsWith(`${r.address} `))
          .map((l) => / up=(\S+)/.exec(l)?.[1]),
      );
      const port = Number(nodeIdOf(r.after).replace('node-', ''));
      expect([...upstreams], r.address).toEqual([`127.0.0.1:${port}`]);
    }
  }, 120_000);

  it('routes REST: /healthz, /readyz, /api with a token and a request id', async () => {
    const health = await http(url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(nodes.map((n) => `node-${n.port}`)).toContain(health.body.node);
    expect((await http(url, 'GET', '/readyz')).status).toBe(200);

    const user = await newUser(url);
    const me = await http(url, 'GET', '/api/me', { token: user.accessToken, headers: { 'x-request-id': 'nginx-test-1' } });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(user.user.id);
    expect(me.headers.get('x-request-id')).toBe('nginx-test-1');
    // Without one, nginx makes the id ($request_id) and the node keeps it.
    expect((await http(url, 'GET', '/api/me', { token: user.accessToken })).headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect((await http(url, 'GET', '/api/me')).status).toBe(401);
  });

  it('hides /metrics, answers unknown paths with 404 and refuses bodies over 1 MiB', async () => {
    expect((await http(url, 'GET', '/metrics')).status).toBe(404);
    expect((await http(nodes[0]!.url, 'GET', '/metrics')).status).toBe(200);
    const unknown = await http(url, 'GET', '/admin.php');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
    const big = await http(url, 'POST', '/api/auth/login', {
      raw: JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(1_100_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
  });

  it('takes a local-driver upload over 1 MiB, and serves its variants with the node\'s caching headers', async () => {
    const user = await newUser(nodes[0]!.url);
    const png = await noisePng(800);
    expect(png.length).toBeGreaterThan(1024 * 1024);
    const created = await createUpload(url, user.accessToken, { kind: 'post_media', contentType: 'image/png', size: png.length });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.upload).toMatchObject({ method: 'PUT', url: expect.stringMatching(/^\/api\/media\/uploads\//) });
    const sent = await sendUpload(url, created.body.upload, png);
    expect(sent.status, await sent.clone().text()).toBe(200);
    expect(await sent.json()).toMatchObject({ size: png.length });

    const id: string = created.body.media.id;
    const confirmed = await http(url, 'POST', `/api/media/${id}/confirm`, { token: user.accessToken, body: {} });
    expect(confirmed.status).toBe(202);
    expect(confirmed.body.media).toMatchObject({ state: 'pending', bytes: png.length });
    const media = await processed(url, user.accessToken, id);
    expect(media.state).toBe('ready');

    const variant = media.variants!.w640!;
    expect(variant.url).toMatch(/^\/api\/media\/files\//);
    const res = await fetch(`${url}${variant.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).length).toBe(variant.bytes);
    // A range of it, as a video player asks: the node's 206 comes through.
    const part = await fetch(`${url}${variant.url}`, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).length).toBe(100);

    // The upload's own small burst, from one address: nginx refuses the excess with the nodes' error body.
    const puts = await Promise.all(Array.from({ length: 40 }, () => requestFrom('127.0.0.202', 'PUT', '/api/media/uploads/not-a-token', 'x')));
    const refused = puts.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    for (const r of puts.filter((x) => x.status !== 429)) expect(r.status).toBeLessThan(500);
  }, 60_000);

  it('hands signed media links to the nodes even when the signature looks like a file extension', async () => {
    // A token is <payload>.<43 base64url characters>; about one signature in four has no - or _, and then
    // the path ends like /x.AbC…: the file-extension rule (for /admin.php) must not answer it instead.
    const token = `${'a'.repeat(16)}.${'b'.repeat(43)}`;
    const read = await http(url, 'GET', `/api/media/files/${token}`);
    expect(read.body, 'answered by a node, not by nginx').toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    const upload = await http(url, 'PUT', `/api/media/uploads/${token}`, { raw: 'x', headers: { 'content-type': 'image/png' } });
    expect(upload.body, 'answered by a node, not by nginx').toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
  });

  it('serves the web app: its pages for client routes with the CSP, hashed assets cached for good', async () => {
    for (const path of ['/', '/chats/some-id', '/u/x/y']) {
      const res = await fetch(`${url}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(await res.text(), path).toContain('<div id="root">');
    }
    const index = readFileSync(join(WEB_TEST_DIR, 'index.html'), 'utf8');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    // The API keeps its own answers under the app's catch-all.
    expect((await http(url, 'GET', '/api/nope')).body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('limits a burst from one address with 429, RATE_LIMITED and Retry-After, and never throttles webhooks', async () => {
    // 60 refreshes at once from one address: the auth zone lets a burst of 20 through, then refuses.
    const burst = await Promise.all(
      Array.from({ length: 60 }, () => requestFrom('127.0.0.200', 'POST', '/api/auth/refresh', JSON.stringify({ refreshToken: 'x'.repeat(43) }))),
    );
    const refused = burst.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      expect(r.headers['retry-after']).toBe('1');
    }
    // Everything nginx let through was answered by a node (an unknown refresh token).
    for (const r of burst.filter((x) => x.status !== 429)) expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'INVALID_TOKEN' } });
    expect(nginxLog('error_log')).toMatch(/limiting requests, excess: .* zone "pairly_auth", client: 127\.0\.0\.200/);

    // 150 webhook deliveries at once from one address: more than any zone's burst, none refused by nginx.
    const hooks = await Promise.all(
      Array.from({ length: 150 }, () => requestFrom('127.0.0.201', 'POST', '/api/payments/webhooks/stripe', '{"id":"evt_x"}')),
    );
    expect(hooks.filter((r) => r.status === 429)).toEqual([]);
    for (const r of hooks) expect(JSON.parse(r.body).error.code).toMatch(/^(NOT_FOUND|INVALID_SIGNATURE)$/);
  });

  it('proxies /janus-ws to Janus\'s WebSocket API with the janus-protocol subprotocol', async () => {
    const port = Number(new URL(url).port);
    const transaction = randomBytes(6).toString('hex');
    const { head, reply } = await webSocketExchange(port, '/janus-ws', 'janus-protocol', JSON.stringify({ janus: 'info', transaction }));
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toMatch(/^sec-websocket-protocol: janus-protocol\r?$/im);
    const info = JSON.parse(reply);
    expect(info).toMatchObject({ janus: 'server_info', transaction });
    expect(Object.keys(info.plugins)).toEqual(['janus.plugin.videoroom']);
    // Janus's HTTP API (room creation with the admin_key) is not reachable through nginx.
    expect((await http(url, 'GET', '/janus/info')).status).toBe(404);
  });
});

/** One request to nginx from a chosen loopback source address (nginx's zones key on it). */
function requestFrom(localAddress: string, method: string, path: string, body: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const port = Number(new URL(url).port);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One text message over a WebSocket and its first reply, framed by hand
 * (RFC 6455: client frames masked, server frames not): enough to prove the
 * upgrade and both directions through nginx without a WebSocket library.
 */
function webSocketExchange(port: number, path: string, protocol: string, message: string): Promise<{ head: string; reply: string }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const timer = setTimeout(() => (socket.destroy(), reject(new Error('no WebSocket reply within 10 s'))), 10_000);
    let buffer = Buffer.alloc(0);
    let head: string | undefined;
    socket.on('error', (err) => (clearTimeout(timer), reject(err)));
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
      );
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (head === undefined) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buffer.subarray(0, end).toString();
        buffer = buffer.subarray(end + 4);
        if (!head.startsWith('HTTP/1.1 101 ')) {
          clearTimeout(timer);
          socket.destroy();
          return resolve({ head, reply: '' });
        }
        const payload = Buffer.from(message);
        if (payload.length > 125) throw new Error('keep test messages under 126 bytes');
        const mask = randomBytes(4);
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i % 4]!)]));
      }
      if (buffer.length < 2) return;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ head, reply: buffer.subarray(offset, offset + length).toString() });
    });
  });
}
