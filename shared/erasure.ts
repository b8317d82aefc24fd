import { z } from 'zod';
import { password, recoveryCode, totpCode } from './auth.js';

/** DELETE /api/me: the password, and a second factor when two-factor sign-in is on (either a code or a recovery code). */
export const deleteMeBody = z
  .strictObject({ password, code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .refine((v) => v.code === undefined || v.recoveryCode === undefined, 'give code or recoveryCode, not both');
export type DeleteMeBody = z.infer<typeof deleteMeBody>;

/** GET /api/me/exports/:id */
export const exportId = z.uuid();

export interface AccountDeletion {
  /** When personal data will have been anonymised (the erase job's time). */
  eraseAfter: string;
}

export interface ExportView {
  id: string;
  requestedAt: string;
  /** Null while the job builds it. */
  readyAt: string | null;
  expiresAt: string;
}
