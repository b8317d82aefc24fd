import { z } from 'zod';
import { text } from './input.js';
import type { MediaView } from './media.js';

/**
 * Creator verification (issue #13): the 18+ check a creator passes before payouts (and, when
 * CREATOR_PAID_CONTENT_REQUIRES_VERIFICATION is on, before selling anything). The creator submits
 * their legal name, date of birth, country, a photo of an ID document and a selfie (both uploaded
 * as media kind `verification_document`, readable only by them and admins); an admin approves or
 * rejects it with a reason; a rejected creator submits again.
 */
export const VERIFICATION_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

/** The age a creator must have reached on the day they submit. */
export const VERIFICATION_MIN_AGE = 18;

/** ISO 3166-1 alpha-2 codes in use (and XK, Kosovo, which ID documents carry). */
export const COUNTRY_CODES = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW'
).split(' ');
const COUNTRIES: ReadonlySet<string> = new Set(COUNTRY_CODES);

/** Whole years between a `YYYY-MM-DD` birth date and `today` (UTC), counting the birthday itself. */
export function ageOn(dateOfBirth: string, today: Date = new Date()): number {
  const [y, m, d] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const ty = today.getUTCFullYear();
  const tm = today.getUTCMonth() + 1;
  const td = today.getUTCDate();
  return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
}

/** POST /api/verification. The age is checked by the server (AGE_RESTRICTED under VERIFICATION_MIN_AGE). */
export const submitVerificationBody = z.strictObject({
  /** Client-chosen: a retry with the same id answers the stored submission. */
  id: z.uuid(),
  legalName: text().trim().min(2).max(200),
  /** As on the document. */
  dateOfBirth: z.iso
    .date()
    .refine((v) => v >= '1900-01-01', 'must be 1900 or later')
    .refine((v) => v <= new Date().toISOString().slice(0, 10), 'must not be in the future'),
  country: text()
    .trim()
    .toUpperCase()
    .refine((c) => COUNTRIES.has(c), 'must be an ISO 3166-1 alpha-2 country code (e.g. DE, US)'),
  /** Uploaded as kind verification_document, ready, the caller's. */
  documentMediaId: z.uuid(),
  selfieMediaId: z.uuid(),
}).refine((b) => b.documentMediaId !== b.selfieMediaId, { message: 'the document and the selfie must be two photos', path: ['selfieMediaId'] });
export type SubmitVerificationBody = z.output<typeof submitVerificationBody>;

/** POST /api/admin/verifications/:id/reject: shown to the creator. */
export const rejectVerificationBody = z.strictObject({ reason: text().trim().min(3).max(500) });

/** GET /api/admin/verifications. */
export const verificationQueueQuery = z.strictObject({
  status: z.enum(VERIFICATION_STATUSES).default('pending'),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  cursor: text().max(200).optional(),
});

/** A submission as its creator sees it. */
export interface VerificationView {
  id: string;
  status: VerificationStatus;
  legalName: string;
  dateOfBirth: string;
  country: string;
  documentMediaId: string;
  selfieMediaId: string;
  /** Why it was rejected (rejected only). */
  reason: string | null;
  submittedAt: string;
  reviewedAt: string | null;
}

/** GET /api/verification: the caller's standing and their latest submission. */
export interface VerificationState {
  verified: boolean;
  /** The latest submission (null: never submitted). */
  submission: VerificationView | null;
}

/** A submission as an admin reviews it: the two photos with signed URLs (null when they were deleted). */
export interface AdminVerificationView extends VerificationView {
  creator: { id: string; displayName: string; email: string; birthdate: string };
  /** The account's birthdate equals the document's date of birth. */
  birthdateMatches: boolean;
  reviewedBy: string | null;
  document: MediaView | null;
  selfie: MediaView | null;
}

export interface VerificationQueuePage {
  verifications: AdminVerificationView[];
  nextCursor: string | null;
}
