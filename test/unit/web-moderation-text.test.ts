import { describe, expect, it } from 'vitest';
import { forgetSuspension, fromStanding, rememberedSuspension, rememberSuspension, standingSentence } from '../../web/src/lib/moderation-text.js';

/** The suspended screen's words and memory (web/src/lib/moderation-text.ts). */
describe('moderation text', () => {
  const iso = (d: Date) => d.toISOString();

  it('says until when a suspension lasts, and that a ban has no end', () => {
    expect(standingSentence({ until: '2026-12-03T09:00:00.000Z' }, iso)).toBe('Your account is suspended until 2026-12-03T09:00:00.000Z.');
    expect(standingSentence({ until: null }, iso)).toBe('Your account is banned.');
  });

  it('turns only a suspension or ban with its appeal token into the suspended screen', () => {
    const base = { decisionId: 7, reason: 'threats', until: null };
    expect(fromStanding({ ...base, action: 'ban', appealToken: 't' })).toEqual({ decisionId: 7, reason: 'threats', until: null, appealToken: 't' });
    expect(fromStanding({ ...base, action: 'warn' })).toBeNull();
    expect(fromStanding({ ...base, action: 'suspend' })).toBeNull();
  });

  it('remembers it for the tab, and ignores what is not one', () => {
    const store = new Map<string, string>();
    const storage = { setItem: (k: string, v: string) => void store.set(k, v), getItem: (k: string) => store.get(k) ?? null, removeItem: (k: string) => void store.delete(k) };
    expect(rememberedSuspension(storage)).toBeNull();
    rememberSuspension({ decisionId: 1, reason: 'r', until: null, appealToken: 'tok' }, storage);
    expect(rememberedSuspension(storage)).toEqual({ decisionId: 1, reason: 'r', until: null, appealToken: 'tok' });
    // A sign-in that went through forgets it.
    forgetSuspension(storage);
    expect(rememberedSuspension(storage)).toBeNull();
    store.set('pairly.suspension', '{not json');
    expect(rememberedSuspension(storage)).toBeNull();
  });
});
