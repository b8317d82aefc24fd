import { describe, expect, it } from 'vitest';
import { LOGIN_RISK_REASONS, PAYMENT_RISK_REASONS } from '../../shared/risk.js';
import { ApiError } from '../../web/src/lib/api.js';
import { errorText } from '../../web/src/lib/error-text.js';
import { checkoutErrorText, paymentStatus } from '../../web/src/components/wallet-model.js';
import { loginStop, reasonsText } from '../../web/src/lib/risk.js';

/** The login page's answers to a refused login, and the Risk tab's words. */

describe('what a refused login asks of the page', () => {
  it('the second factor, with its challenge', () => {
    expect(loginStop(new ApiError('TWO_FACTOR_REQUIRED', 'code', 401, { challenge: 'abc' }))).toEqual({ kind: 'two_factor', challenge: 'abc' });
    // Without a challenge there is no second step to show: an error line.
    expect(loginStop(new ApiError('TWO_FACTOR_REQUIRED', 'code', 401))).toEqual({ kind: 'error' });
  });

  it('"check your email" for a risky sign-in, a notice for a held one', () => {
    expect(loginStop(new ApiError('LOGIN_CONFIRMATION_REQUIRED', 'mail', 403, { reasons: ['new_country'] }))).toEqual({ kind: 'check_email' });
    expect(loginStop(new ApiError('LOGIN_HELD', 'held', 403))).toEqual({ kind: 'held' });
    expect(errorText(new ApiError('LOGIN_HELD', 'held', 403))).toMatch(/support/);
    expect(errorText(new ApiError('LOGIN_CONFIRMATION_REQUIRED', 'mail', 403))).toMatch(/emailed you a link/);
  });

  it('the suspension notice only with its appeal token; anything else is an error line', () => {
    const details = { until: null, reason: 'spam', appealToken: 't' };
    expect(loginStop(new ApiError('ACCOUNT_SUSPENDED', 's', 403, details))).toEqual({ kind: 'suspended', details });
    expect(loginStop(new ApiError('ACCOUNT_SUSPENDED', 's', 403, {}))).toEqual({ kind: 'error' });
    expect(loginStop(new ApiError('INVALID_CREDENTIALS', 'no', 401))).toEqual({ kind: 'error' });
    expect(loginStop(new Error('boom'))).toEqual({ kind: 'error' });
    expect(loginStop(null)).toEqual({ kind: 'error' });
  });
});

describe('the Risk tab', () => {
  it('has words for every reason the server gives', () => {
    for (const r of [...LOGIN_RISK_REASONS, ...PAYMENT_RISK_REASONS]) expect(reasonsText([r])).not.toContain('_');
    expect(reasonsText(['new_country', 'impossible_travel'])).toBe('new country, impossible travel');
    expect(reasonsText([])).toBe('no reason');
    // A reason added on the server before the web app knows it still reads.
    expect(reasonsText(['some_new_reason'])).toBe('some new reason');
  });
});

describe('the wallet', () => {
  it('says what a held or rejected payment means, and why a checkout was refused', () => {
    expect(paymentStatus('held')).toMatchObject({ label: 'Under review', settled: true });
    expect(paymentStatus('rejected')).toMatchObject({ label: 'Not accepted', tone: 'bad', settled: true });
    expect(checkoutErrorText('PAYMENT_RISK_REFUSED')).toMatch(/Nothing was charged/);
  });
});
