import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { turnCredentials } from '../../server/src/modules/calls/turn.js';

describe('turnCredentials (coturn REST scheme)', () => {
  it('issues <expiry>:<user> with base64 HMAC-SHA1 of it under the shared secret', () => {
    const now = Date.UTC(2026, 10, 22, 12, 0, 0);
    const c = turnCredentials({ urls: ['turn:turn.example:3478'], secret: 'coturn-static-secret', ttlSeconds: 600 }, 'user-1', now);
    expect(c.username).toBe(`${now / 1000 + 600}:user-1`);
    expect(c.credential).toBe(createHmac('sha1', 'coturn-static-secret').update(c.username!).digest('base64'));
    expect(c.urls).toEqual(['turn:turn.example:3478']);
  });

  it('differs per user and per expiry, so one leaked credential serves one user until it expires', () => {
    const o = { urls: ['turn:t:3478'], secret: 's'.repeat(20), ttlSeconds: 60 };
    expect(turnCredentials(o, 'a', 0).credential).not.toBe(turnCredentials(o, 'b', 0).credential);
    expect(turnCredentials(o, 'a', 0).credential).not.toBe(turnCredentials(o, 'a', 1000).credential);
  });
});
