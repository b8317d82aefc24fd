import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Embedded mode keeps its JWT secret in the data dir so tokens survive a
 * restart. Created once with mode 0600; never logged.
 */
export function embeddedJwtSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'w' });
  return secret;
}

/**
 * Embedded mode without VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY: a key pair made once and kept in the data
 * dir, so browsers' push subscriptions (bound to the public key) survive restarts.
 */
export function embeddedVapidKeys(dataDir: string, generate: () => { publicKey: string; privateKey: string }): { publicKey: string; privateKey: string } {
  const file = join(dataDir, 'vapid-keys.json');
  try {
    const existing = JSON.parse(readFileSync(file, 'utf8')) as { publicKey?: unknown; privateKey?: unknown };
    if (typeof existing.publicKey === 'string' && typeof existing.privateKey === 'string') return { publicKey: existing.publicKey, privateKey: existing.privateKey };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const keys = generate();
  writeFileSync(file, `${JSON.stringify(keys)}\n`, { mode: 0o600, flag: 'w' });
  return keys;
}
