import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transition, type PaymentState } from '../../server/src/modules/payments/payment-state.js';
import type { PaymentSignal } from '../../server/src/modules/payments/providers/provider.js';
import { GeoLocator, isPlaceless } from '../../server/src/modules/risk/geo.js';
import {
  distanceKm,
  isImpossibleTravel,
  loginAction,
  paymentAction,
  scoreLogin,
  scorePayment,
  type LoginFacts,
  type PaymentFacts,
} from '../../server/src/modules/risk/risk.rules.js';

const LONDON = { country: 'GB', lat: 51.5072, lon: -0.1276 };
const NEWMARKET = { country: 'GB', lat: 52.2264, lon: 0.4841 };
const NEW_YORK = { country: 'US', lat: 40.7128, lon: -74.006 };
const RULES = { failures: 3, maxTravelKmh: 900 };
const at = (iso: string) => new Date(iso);

const base: LoginFacts = {
  now: at('2026-12-02T12:00:00Z'),
  place: LONDON,
  device: 'Firefox on Linux',
  passed: { devices: ['Firefox on Linux'], countries: ['GB'] },
  last: { at: at('2026-12-01T12:00:00Z'), place: LONDON },
  recentFailures: 0,
};

describe('login rules', () => {
  it('a usual sign-in scores 0; the first sign-in of an account is compared with nothing', () => {
    expect(scoreLogin(base, RULES)).toEqual({ score: 0, reasons: [] });
    expect(scoreLogin({ ...base, passed: { devices: [], countries: [] }, last: null, device: 'Chrome on Windows', place: NEW_YORK }, RULES)).toEqual({ score: 0, reasons: [] });
  });

  it('names each signal with its weight', () => {
    expect(scoreLogin({ ...base, device: 'Safari on iOS' }, RULES)).toEqual({ score: 20, reasons: ['new_device'] });
    expect(scoreLogin({ ...base, recentFailures: 3 }, RULES)).toEqual({ score: 30, reasons: ['recent_failures'] });
    expect(scoreLogin({ ...base, recentFailures: 2 }, RULES)).toEqual({ score: 0, reasons: [] });
    // A day after London, New York is a new country but a plausible trip.
    expect(scoreLogin({ ...base, place: NEW_YORK }, RULES)).toEqual({ score: 50, reasons: ['new_country'] });
    // Ten minutes after London: impossible as well.
    expect(scoreLogin({ ...base, place: NEW_YORK, last: { at: at('2026-12-02T11:50:00Z'), place: LONDON } }, RULES)).toEqual({ score: 100, reasons: ['new_country', 'impossible_travel'] });
  });

  it('an address with no place is never a new country nor travel', () => {
    expect(scoreLogin({ ...base, place: null, last: { at: base.now, place: NEW_YORK } }, RULES)).toEqual({ score: 0, reasons: [] });
    expect(scoreLogin({ ...base, place: NEW_YORK, last: { at: base.now, place: null }, passed: { devices: ['Firefox on Linux'], countries: ['US'] } }, RULES)).toEqual({ score: 0, reasons: [] });
  });

  it('travel: coarse places close together are never impossible; far apart, it is the speed that counts', () => {
    expect(Math.round(distanceKm(LONDON, NEW_YORK))).toBe(5570);
    expect(isImpossibleTravel(LONDON, base.now, NEWMARKET, base.now, 900)).toBe(false);
    expect(isImpossibleTravel(LONDON, base.now, NEW_YORK, base.now, 900)).toBe(true);
    expect(isImpossibleTravel(LONDON, at('2026-12-02T04:00:00Z'), NEW_YORK, base.now, 900)).toBe(false);
    expect(isImpossibleTravel(LONDON, at('2026-12-02T07:00:00Z'), NEW_YORK, base.now, 900)).toBe(true);
  });

  it('scores stay within 0-100 and grow with every signal added', () => {
    const facts = fc.record({
      place: fc.option(fc.record({ country: fc.constantFrom('GB', 'US', 'DE'), lat: fc.double({ min: -90, max: 90, noNaN: true }), lon: fc.double({ min: -180, max: 180, noNaN: true }) }), { nil: null }),
      device: fc.constantFrom('Firefox on Linux', 'Safari on iOS'),
      devices: fc.subarray(['Firefox on Linux', 'Chrome on Windows']),
      countries: fc.subarray(['GB', 'US']),
      minutesAgo: fc.integer({ min: 0, max: 10_000 }),
      recentFailures: fc.integer({ min: 0, max: 10 }),
    });
    fc.assert(
      fc.property(facts, (f) => {
        const v = scoreLogin(
          { now: base.now, place: f.place, device: f.device, passed: { devices: f.devices, countries: f.countries }, last: { at: new Date(base.now.getTime() - f.minutesAgo * 60_000), place: LONDON }, recentFailures: f.recentFailures },
          RULES,
        );
        expect(v.score).toBeGreaterThanOrEqual(0);
        expect(v.score).toBeLessThanOrEqual(100);
        expect(v.score === 0).toBe(v.reasons.length === 0);
        expect(new Set(v.reasons).size).toBe(v.reasons.length);
      }),
    );
  });

  it('thresholds: allow below the step-up, step up below the hold', () => {
    const t = { stepUp: 50, hold: 90 };
    expect([0, 49, 50, 89, 90, 100].map((s) => loginAction(s, t))).toEqual(['allow', 'allow', 'step_up', 'step_up', 'hold', 'hold']);
  });
});

const PAY_RULES = { checkoutsPerHour: 5, checkoutsPerDay: 20, newAccountHours: 24, largePackCredits: 1000, providers: 3 };
const quiet: PaymentFacts = { checkoutsLastHour: 0, checkoutsLastDay: 0, accountAgeHours: 24 * 30, credits: 100, refunds: 0, chargebacks: 0, providers: 1 };

describe('payment rules', () => {
  it('a usual purchase scores 0', () => {
    expect(scorePayment(quiet, PAY_RULES)).toEqual({ score: 0, reasons: [] });
  });

  it('names each signal with its weight', () => {
    expect(scorePayment({ ...quiet, checkoutsLastHour: 5, checkoutsLastDay: 5 }, PAY_RULES)).toEqual({ score: 50, reasons: ['velocity_hour'] });
    expect(scorePayment({ ...quiet, checkoutsLastHour: 4 }, PAY_RULES)).toEqual({ score: 0, reasons: [] });
    expect(scorePayment({ ...quiet, checkoutsLastDay: 20 }, PAY_RULES)).toEqual({ score: 30, reasons: ['velocity_day'] });
    expect(scorePayment({ ...quiet, accountAgeHours: 1, credits: 1200 }, PAY_RULES)).toEqual({ score: 40, reasons: ['new_account_large_pack'] });
    expect(scorePayment({ ...quiet, accountAgeHours: 1, credits: 550 }, PAY_RULES)).toEqual({ score: 0, reasons: [] });
    expect(scorePayment({ ...quiet, accountAgeHours: 25, credits: 1200 }, PAY_RULES)).toEqual({ score: 0, reasons: [] });
    expect(scorePayment({ ...quiet, refunds: 1 }, PAY_RULES)).toEqual({ score: 20, reasons: ['refund_history'] });
    expect(scorePayment({ ...quiet, chargebacks: 1 }, PAY_RULES)).toEqual({ score: 60, reasons: ['chargeback_history'] });
    expect(scorePayment({ ...quiet, providers: 3 }, PAY_RULES)).toEqual({ score: 20, reasons: ['many_payment_methods'] });
  });

  it('caps at 100', () => {
    const all = { checkoutsLastHour: 9, checkoutsLastDay: 30, accountAgeHours: 0, credits: 5000, refunds: 3, chargebacks: 2, providers: 3 };
    expect(scorePayment(all, PAY_RULES).score).toBe(100);
    expect(scorePayment(all, PAY_RULES).reasons).toHaveLength(6);
  });

  it('thresholds: allow below the hold, hold below the refusal', () => {
    const t = { hold: 50, refuse: 90 };
    expect([0, 49, 50, 89, 90].map((s) => paymentAction(s, t))).toEqual(['allow', 'allow', 'hold', 'hold', 'refuse']);
  });
});

describe('addresses with no place', () => {
  it('loopback, private, link-local and CGNAT addresses (v4, v4-mapped, v6) have none; public ones may', () => {
    for (const ip of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.20.0.5', '192.168.1.10', '169.254.0.1', '100.64.1.1', 'fd00::1', 'fe80::1', 'not-an-ip']) {
      expect(isPlaceless(ip), ip).toBe(true);
    }
    for (const ip of ['81.2.69.160', '8.8.8.8', '::ffff:8.8.8.8', '2001:4860:4860::8888', '172.32.0.1']) {
      expect(isPlaceless(ip), ip).toBe(false);
    }
  });

  it('the geo-IP data is loaded only by the first public address, and never when off', async () => {
    const off = new GeoLocator(false);
    expect(await off.place('81.2.69.160')).toBeNull();
    expect(off.loaded).toBe(false);

    const geo = new GeoLocator(true);
    for (const ip of ['127.0.0.1', '::1', '192.168.1.10', null]) expect(await geo.place(ip)).toBeNull();
    expect(geo.loaded).toBe(false);
    expect(await geo.place('81.2.69.160')).toMatchObject({ country: 'GB' });
    expect(await geo.place('::ffff:8.8.8.8')).toMatchObject({ country: 'US' });
    expect(geo.loaded).toBe(true);
    // A public address the data does not place (documentation range): no place, no error.
    expect(await geo.place('203.0.113.5')).toBeNull();
  });
});

describe('a held payment in the state machine', () => {
  const held: PaymentState = { status: 'pending', credited: false, refundedMinor: 0, disputed: false, reversedCredits: 0, credits: 550, amountMinor: 1999, currency: 'usd', error: null, hold: 'held', capturedWhileHeld: false };
  const captured = { kind: 'captured' as const, ref: 'r', amountMinor: 1999, currency: 'usd' };
  const refunded = { kind: 'refunded' as const, ref: 'r', refundedTotalMinor: 500 };
  const run = (s: PaymentState, signals: PaymentSignal[]) =>
    signals.reduce(
      (acc, sig) => {
        const t = transition(acc.state, sig);
        return { state: t.next, credited: acc.credited + (t.credit ? t.next.credits : 0), reversed: acc.reversed + t.reverse };
      },
      { state: s, credited: 0, reversed: 0 },
    );

  it('is captured without credits in any order; the approval replays the capture: credits and the refund seen meanwhile, once', () => {
    for (const order of [[captured, refunded, captured], [refunded, captured], [captured, captured, refunded]]) {
      const waiting = run(held, order);
      expect([waiting.credited, waiting.reversed, waiting.state.status, waiting.state.capturedWhileHeld]).toEqual([0, 0, 'held', true]);
      const approved = run({ ...waiting.state, hold: 'approved' }, [captured, captured, refunded]);
      expect([approved.credited, approved.reversed, approved.state.status]).toEqual([550, 137, 'partially_refunded']);
    }
  });

  it('rejected, it is never credited, whatever arrives', () => {
    const r = run({ ...held, hold: 'rejected' }, [captured, refunded, captured]);
    expect([r.credited, r.reversed, r.state.status]).toEqual([0, 0, 'rejected']);
  });
});
