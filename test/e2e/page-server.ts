import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/**
 * The call test's page server. It runs inside the test's network namespace
 * (`ip netns exec <ns> node --import tsx test/e2e/page-server.ts`) on its
 * 127.0.0.1, which Chromium treats as a secure origin (getUserMedia works)
 * and which keeps page loads off the veth. Prints `listening <port>`.
 */

const FILES: Record<string, { path: string; type: string }> = {
  '/call.html': { path: fileURLToPath(new URL('pages/call.html', import.meta.url)), type: 'text/html' },
  '/call.js': { path: fileURLToPath(new URL('pages/call.js', import.meta.url)), type: 'text/javascript' },
  // Debian packages libjs-janus-gateway and libjs-webrtc-adapter.
  '/janus.js': { path: '/usr/share/javascript/janus-gateway/janus.js', type: 'text/javascript' },
  '/adapter.js': { path: '/usr/share/javascript/webrtc-adapter/adapter.js', type: 'text/javascript' },
};

const server = createServer((req, res) => {
  const file = FILES[new URL(req.url ?? '/', 'http://x').pathname];
  if (!file || !existsSync(file.path)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
  createReadStream(file.path).pipe(res);
});
server.on('error', (err) => {
  process.stderr.write(`page server: ${err.message}\n`);
  process.exit(1);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
