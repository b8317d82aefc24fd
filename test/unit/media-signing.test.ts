import { describe, expect, it } from 'vitest';
import { displayFilename, newPrefix, prefixOf, urlWindow } from '../../server/src/modules/media/media.views.js';
import { createTokenSigner } from '../../server/src/modules/media/signed-token.js';
import { assertKey, assertPrefix } from '../../server/src/modules/media/storage.js';

describe('signed media tokens', () => {
  const signer = createTokenSigner(Buffer.from('k'.repeat(32)));
  const later = Math.floor(Date.now() / 1000) + 60;
  const codeOf = (f: () => unknown) => {
    try {
      f();
      return 'accepted';
    } catch (err) {
      return (err as { code?: string }).code;
    }
  };

  it('verifies what it signed, for the same purpose only', () => {
    const t = signer.sign('read', { k: 'ab/x/original', e: later });
    expect(signer.verify('read', t)).toMatchObject({ k: 'ab/x/original', e: later });
    expect(codeOf(() => signer.verify('upload', t))).toBe('INVALID_SIGNATURE');
  });

  it('refuses a token signed with another key, a changed payload or signature, and garbage', () => {
    const t = signer.sign('upload', { k: 'a', m: 10, e: later });
    const [payload, sig] = t.split('.') as [string, string];
    const other = createTokenSigner(Buffer.from('o'.repeat(32)));
    expect(codeOf(() => other.verify('upload', t))).toBe('INVALID_SIGNATURE');
    const bigger = Buffer.from(JSON.stringify({ k: 'a', m: 10_000_000, e: later })).toString('base64url');
    expect(codeOf(() => signer.verify('upload', `${bigger}.${sig}`))).toBe('INVALID_SIGNATURE');
    expect(codeOf(() => signer.verify('upload', `${payload}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`))).toBe('INVALID_SIGNATURE');
    for (const junk of ['', '.', 'abc', `${payload}.`, `${payload}.${sig}.x`, '../../etc/passwd']) expect(codeOf(() => signer.verify('upload', junk))).toBe('INVALID_SIGNATURE');
  });

  it('refuses a genuine token past its expiry as LINK_EXPIRED', () => {
    const t = signer.sign('read', { k: 'a', e: 1000 });
    expect(codeOf(() => signer.verify('read', t, 999_000))).toBe('accepted');
    expect(codeOf(() => signer.verify('read', t, 1_000_000))).toBe('LINK_EXPIRED');
  });
});

describe('media storage keys', () => {
  it('are a random prefix of two segments, found again from any key under it', () => {
    const a = newPrefix();
    expect(a).toMatch(/^([a-f0-9]{2})\/\1[a-f0-9]{30}\/$/);
    expect(newPrefix()).not.toBe(a);
    expect(prefixOf(`${a}v/w640.webp`)).toBe(a);
    expect(prefixOf('../etc/passwd')).toBeUndefined();
    expect(() => assertKey(`${a}original`)).not.toThrow();
    expect(() => assertPrefix(a)).not.toThrow();
  });

  it.each(['../x', 'a/../../b', 'a/./b', '/abs', 'a//b', 'A/b', 'a/b/', 'a\\b', 'a/..b', '', 'a/b\u0000'])('refuse %j', (key) => {
    expect(() => assertKey(key)).toThrow();
  });
});

describe('display file names', () => {
  it.each([
    ['../../../etc/passwd', 'passwd'],
    ['..\\..\\boot.ini', 'boot.ini'],
    ['.htaccess', 'htaccess'],
    ['photo\u202egpj.exe', 'photogpj.exe'],
    ['line\nbreak.jpg', 'linebreak.jpg'],
    ['   ', null],
    ['dir/', null],
  ])('%j → %j', (given, shown) => expect(displayFilename(given)).toBe(shown));
});

describe('signed URL windows', () => {
  it('expire within the TTL, live at least half of it, and stay the same within half a TTL', () => {
    const ttl = 300;
    for (const now of [0, 1, 149_999, 150_000, 1_700_000_123_456]) {
      const w = urlWindow(ttl, now);
      const left = w.expiresAt.getTime() - now;
      expect(left).toBeLessThanOrEqual(ttl * 1000);
      expect(left).toBeGreaterThan((ttl * 1000) / 2);
      expect(w.signedAt.getTime()).toBeLessThanOrEqual(now);
    }
    expect(urlWindow(ttl, 150_000)).toEqual(urlWindow(ttl, 299_999));
    expect(urlWindow(ttl, 149_999)).not.toEqual(urlWindow(ttl, 150_000));
  });
});
