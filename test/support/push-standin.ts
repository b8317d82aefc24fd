import { createECDH, createHmac, createDecipheriv, createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { listenLocal } from './standin-http.js';

/**
 * A stand-in for a browser's push service (what FCM or Mozilla's autopush are to a real browser): it hands
 * out subscriptions as a browser's PushManager would (an endpoint here, a P-256 key pair and an auth
 * secret it keeps), and on each push it checks what a real push service checks, and what the browser
 * then does:
 *  - the VAPID token (RFC 8292): `Authorization: vapid t=<JWT>, k=<public key>`, an ES256 JWT signed by
 *    that key, `aud` this service's origin, `exp` in the future and within 24 hours, a `sub`;
 *  - the body (RFC 8291, aes128gcm): decrypted with the subscription's private key and auth secret, as
 *    the browser would; a body that does not decrypt is refused (400);
 *  - a subscription marked gone answers 410, as when the user unsubscribed.
 * Received pushes are kept with their decrypted JSON for the test to read.
 */
export interface ReceivedPush {
  subscriptionId: string;
  claims: { aud: string; exp: number; sub: string };
  publicKey: string;
  ttl: string | undefined;
  payload: unknown;
  /** When it arrived (Date.now()). */
  at: number;
}

export interface PushStandin {
  url: string;
  /** A new subscription, as PushSubscription.toJSON() gives it to the page. */
  subscribe(): { endpoint: string; keys: { p256dh: string; auth: string } };
  gone(endpoint: string): void;
  received: ReceivedPush[];
  /** Pushes refused, with the reason (a bad signature, a body that did not decrypt). */
  refused: string[];
  close(): Promise<void>;
}

const b64u = (b: Buffer) => b.toString('base64url');

export async function startPushStandin(): Promise<PushStandin> {
  const subs = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer; gone: boolean }>();
  const received: ReceivedPush[] = [];
  const refused: string[] = [];
  let origin = '';
  const { server, port } = await listenLocal(async (req, res) => {
    const id = /^\/push\/([0-9a-f-]{36})$/.exec(req.url ?? '')?.[1];
    const sub = id ? subs.get(id) : undefined;
    if (req.method !== 'POST' || !id || !sub) {
      res.writeHead(404).end();
      return;
    }
    if (sub.gone) {
      res.writeHead(410).end();
      return;
    }
    const body = await readRaw(req);
    try {
      const vapid = checkVapid(req.headers.authorization, origin);
      if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${req.headers['content-encoding']}`);
      const payload = JSON.parse(decrypt(body, sub.ecdh, sub.auth).toString('utf8')) as unknown;
      received.push({ subscriptionId: id, claims: vapid.claims, publicKey: vapid.publicKey, ttl: req.headers.ttl as string | undefined, payload, at: Date.now() });
      res.writeHead(201, { location: `/message/${randomUUID()}` }).end();
    } catch (err) {
      refused.push((err as Error).message);
      res.writeHead(400, { 'content-type': 'text/plain' }).end((err as Error).message);
    }
  }, (message) => ({ error: message }));
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    subscribe() {
      const id = randomUUID();
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      subs.set(id, { ecdh, auth, gone: false });
      return { endpoint: `${origin}/push/${id}`, keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) } };
    },
    gone(endpoint) {
      const s = subs.get(endpoint.split('/').pop()!);
      if (s) s.gone = true;
    },
    received,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** RFC 8292: the JWT's ES256 signature by the key in `k`, and its claims. */
function checkVapid(header: string | undefined, origin: string): { claims: ReceivedPush['claims']; publicKey: string } {
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) throw new Error(`no vapid authorization: ${header}`);
  const [token, k] = [m[1]!, m[2]!];
  const [h, c, s] = token.split('.') as [string, string, string];
  const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
  if (head.alg !== 'ES256') throw new Error(`vapid alg ${head.alg}`);
  const point = Buffer.from(k, 'base64url');
  if (point.length !== 65 || point[0] !== 4) throw new Error('vapid k is not an uncompressed P-256 point');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) }, format: 'jwk' });
  if (!verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) throw new Error('vapid signature does not verify');
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as ReceivedPush['claims'];
  const now = Date.now() / 1000;
  if (claims.aud !== origin) throw new Error(`vapid aud ${claims.aud}, expected ${origin}`);
  if (!(claims.exp > now && claims.exp <= now + 86_400)) throw new Error(`vapid exp ${claims.exp} out of range`);
  if (!/^(mailto:|https:)/.test(claims.sub ?? '')) throw new Error(`vapid sub ${claims.sub}`);
  return { claims, publicKey: k };
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/** RFC 8291 / RFC 8188: one aes128gcm record, decrypted as the user agent does. */
function decrypt(body: Buffer, ecdh: ReturnType<typeof createECDH>, authSecret: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const senderKey = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (idlen !== 65) throw new Error(`aes128gcm keyid of ${idlen} bytes, expected the sender's 65-byte key`);
  const secret = ecdh.computeSecret(senderKey);
  const prkKey = hmac(authSecret, secret);
  const ikm = hmac(prkKey, Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderKey, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02 and any zero padding.
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  if (plain[end] !== 2) throw new Error('aes128gcm: no last-record delimiter');
  return plain.subarray(0, end);
}
