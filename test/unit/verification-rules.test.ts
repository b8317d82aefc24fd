import { describe, expect, it } from 'vitest';
import { ageOn, submitVerificationBody, VERIFICATION_MIN_AGE } from '../../shared/verification.js';

/** The pure rules of creator verification (shared/verification.ts): age on a day, and what a submission may hold. */
describe('ageOn', () => {
  const on = (iso: string) => new Date(`${iso}T12:00:00Z`);
  it('counts a birthday itself, not the day before', () => {
    expect(ageOn('2008-06-15', on('2026-06-14'))).toBe(17);
    expect(ageOn('2008-06-15', on('2026-06-15'))).toBe(VERIFICATION_MIN_AGE);
    expect(ageOn('2008-06-15', on('2026-12-31'))).toBe(18);
  });
  it('gives a 29 February birthday its year on 1 March outside leap years', () => {
    expect(ageOn('2008-02-29', on('2026-02-28'))).toBe(17);
    expect(ageOn('2008-02-29', on('2026-03-01'))).toBe(18);
  });
});

describe('submitVerificationBody', () => {
  const base = {
    id: '8c1f6c52-2a55-4d3e-9f43-1c1a0c1d2e3f',
    legalName: '  Ada Example ',
    dateOfBirth: '1990-04-02',
    country: 'de',
    documentMediaId: '2b8e7f10-7d6c-4f0e-8a0a-5c9b1d2e3f40',
    selfieMediaId: '3c9f8a21-8e7d-4a1f-9b1b-6dac2e3f4051',
  };
  it('trims the name and upper-cases the country', () => {
    expect(submitVerificationBody.parse(base)).toMatchObject({ legalName: 'Ada Example', country: 'DE' });
  });
  it.each([
    ['an unknown country', { country: 'XX' }],
    ['a three-letter country', { country: 'DEU' }],
    ['a retired code', { country: 'YU' }],
    ['a date that does not exist', { dateOfBirth: '1990-02-30' }],
    ['a date in the future', { dateOfBirth: '2999-01-01' }],
    ['a date before 1900', { dateOfBirth: '0000-01-01' }],
    ['the same photo twice', { selfieMediaId: base.documentMediaId }],
    ['an empty name', { legalName: '  ' }],
    ['an unknown field', { extra: 1 }],
  ])('refuses %s', (_what, change) => {
    expect(submitVerificationBody.safeParse({ ...base, ...change }).success).toBe(false);
  });
});
