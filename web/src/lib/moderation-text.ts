import type { DecisionAction, ReportReason, StandingChange, SuspensionDetails } from '../../../shared/reports.js';

/** The words people read for report reasons and decisions (reporting dialog, admin queue, the suspended screen). */
export const REASON_TEXT: Record<ReportReason, string> = {
  spam: 'Spam',
  harassment: 'Harassment or bullying',
  hate: 'Hate speech',
  sexual_content: 'Unwanted sexual content',
  violence: 'Violence or threats',
  scam: 'A scam or fraud',
  underage: 'Someone under 18',
  impersonation: 'Pretending to be someone else',
  other: 'Something else',
};

export const ACTION_TEXT: Record<DecisionAction, string> = {
  dismiss: 'Dismissed',
  remove_content: 'Content removed',
  warn: 'Warned',
  suspend: 'Suspended',
  ban: 'Banned',
  restore: 'Restored',
};

/** What a suspended or banned person is told: until when (in their own time zone's words), or for good. */
export function standingSentence(s: Pick<SuspensionDetails, 'until'>, format: (d: Date) => string = (d) => d.toLocaleString()): string {
  return s.until ? `Your account is suspended until ${format(new Date(s.until))}.` : 'Your account is banned.';
}

/** A suspension or ban as the suspended screen shows it, from the live push or the refused login. */
export function fromStanding(c: StandingChange): SuspensionDetails | null {
  if ((c.action !== 'suspend' && c.action !== 'ban') || !c.appealToken) return null;
  return { decisionId: c.decisionId, reason: c.reason, until: c.until, appealToken: c.appealToken };
}

const KEY = 'pairly.suspension';

/** The slice of the Web Storage API used here (the page passes sessionStorage; tests a map). */
interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Kept for the tab's life (sessionStorage): the suspended screen outlives the session that ended. */
export function rememberSuspension(d: SuspensionDetails, store: Pick<KeyStore, 'setItem'>): void {
  store.setItem(KEY, JSON.stringify(d));
}

/** A sign-in that went through: the suspension is over (or was another account's in this tab). */
export function forgetSuspension(store: Pick<KeyStore, 'removeItem'>): void {
  store.removeItem(KEY);
}

export function rememberedSuspension(store: Pick<KeyStore, 'getItem'>): SuspensionDetails | null {
  try {
    const v = JSON.parse(store.getItem(KEY) ?? 'null') as SuspensionDetails | null;
    return v && typeof v.appealToken === 'string' ? v : null;
  } catch {
    return null;
  }
}
