import type { LoginRiskReason, PaymentRiskReason } from '../../../../shared/risk.js';

/**
 * The rules of risk scoring, pure: facts in, a score (0-100) and its
 * reasons out. The service gathers the facts and acts on the verdict.
 *
 * Weights are chosen so that one weak signal never stops anyone (a new
 * device, a few mistyped passwords, a refund once) while one strong signal
 * or two weak ones do: with the default thresholds a login steps up at 50
 * and is held at 90, a payment is held at 50 and refused at 90.
 */
export const LOGIN_WEIGHTS: Record<LoginRiskReason, number> = {
  new_device: 20,
  new_country: 50,
  impossible_travel: 50,
  recent_failures: 30,
};

export const PAYMENT_WEIGHTS: Record<PaymentRiskReason, number> = {
  velocity_hour: 50,
  velocity_day: 30,
  new_account_large_pack: 40,
  refund_history: 20,
  chargeback_history: 60,
  many_payment_methods: 20,
};

export interface Place {
  country: string;
  lat: number;
  lon: number;
}

export interface Verdict<R extends string> {
  score: number;
  reasons: R[];
}

export interface LoginFacts {
  now: Date;
  /** Where this sign-in comes from; null for an address with no place (loopback, private, unknown). */
  place: Place | null;
  device: string;
  /** Earlier sign-ins that opened a session (none: the account's first, which nothing is compared with). */
  passed: { devices: string[]; countries: string[] };
  /** The last sign-in that opened a session, with its place when it had one. */
  last: { at: Date; place: Place | null } | null;
  /** Failed passwords for the account within the window. */
  recentFailures: number;
}

export interface LoginRules {
  /** Failed passwords within the window that count as recent_failures. */
  failures: number;
  /** Faster than this between the last sign-in's place and this one's is impossible_travel. */
  maxTravelKmh: number;
}

/**
 * Distances under this are not travel: geo-IP places are coarse (a country's
 * centre for many addresses), so two addresses of one city can be this far apart.
 */
export const TRAVEL_NOISE_KM = 100;

export function scoreLogin(f: LoginFacts, rules: LoginRules): Verdict<LoginRiskReason> {
  const reasons: LoginRiskReason[] = [];
  const seenBefore = f.passed.devices.length > 0;
  if (seenBefore && !f.passed.devices.includes(f.device)) reasons.push('new_device');
  if (f.place && f.passed.countries.length > 0 && !f.passed.countries.includes(f.place.country)) reasons.push('new_country');
  if (f.place && f.last?.place && isImpossibleTravel(f.last.place, f.last.at, f.place, f.now, rules.maxTravelKmh)) reasons.push('impossible_travel');
  if (f.recentFailures >= rules.failures) reasons.push('recent_failures');
  return verdict(reasons, LOGIN_WEIGHTS);
}

export function isImpossibleTravel(from: Place, fromAt: Date, to: Place, toAt: Date, maxKmh: number): boolean {
  const km = distanceKm(from, to);
  if (km < TRAVEL_NOISE_KM) return false;
  const hours = Math.max(0, toAt.getTime() - fromAt.getTime()) / 3_600_000;
  // Zero time and real distance: infinitely fast.
  return hours === 0 || km / hours > maxKmh;
}

/** Great-circle distance (haversine, mean Earth radius). */
export function distanceKm(a: Pick<Place, 'lat' | 'lon'>, b: Pick<Place, 'lat' | 'lon'>): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface PaymentFacts {
  /** Checkouts the user opened before this one, in the last hour and the last day. */
  checkoutsLastHour: number;
  checkoutsLastDay: number;
  accountAgeHours: number;
  credits: number;
  /** The user's payments refunded (in part or whole), and disputed (chargebacks), ever. */
  refunds: number;
  chargebacks: number;
  /** Distinct providers the user paid through in the last 30 days, this checkout's included. */
  providers: number;
}

export interface PaymentRules {
  checkoutsPerHour: number;
  checkoutsPerDay: number;
  newAccountHours: number;
  largePackCredits: number;
  /** Distinct providers that count as many payment methods. */
  providers: number;
}

export function scorePayment(f: PaymentFacts, rules: PaymentRules): Verdict<PaymentRiskReason> {
  const reasons: PaymentRiskReason[] = [];
  if (f.checkoutsLastHour >= rules.checkoutsPerHour) reasons.push('velocity_hour');
  if (f.checkoutsLastDay >= rules.checkoutsPerDay) reasons.push('velocity_day');
  if (f.accountAgeHours < rules.newAccountHours && f.credits >= rules.largePackCredits) reasons.push('new_account_large_pack');
  if (f.refunds > 0) reasons.push('refund_history');
  if (f.chargebacks > 0) reasons.push('chargeback_history');
  if (f.providers >= rules.providers) reasons.push('many_payment_methods');
  return verdict(reasons, PAYMENT_WEIGHTS);
}

export type LoginAction = 'allow' | 'step_up' | 'hold';
export type PaymentAction = 'allow' | 'hold' | 'refuse';

export function loginAction(score: number, t: { stepUp: number; hold: number }): LoginAction {
  return score >= t.hold ? 'hold' : score >= t.stepUp ? 'step_up' : 'allow';
}

export function paymentAction(score: number, t: { hold: number; refuse: number }): PaymentAction {
  return score >= t.refuse ? 'refuse' : score >= t.hold ? 'hold' : 'allow';
}

function verdict<R extends string>(reasons: R[], weights: Record<R, number>): Verdict<R> {
  return { reasons, score: Math.min(100, reasons.reduce((sum, r) => sum + weights[r], 0)) };
}
