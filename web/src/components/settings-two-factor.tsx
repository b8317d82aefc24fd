import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { TwoFactorSetup, TwoFactorStatus } from '../../../shared/auth.js';
import { api } from '../lib/api.js';
import { errorText } from '../lib/error-text.js';
import { formatWhen } from './wallet-queries.js';
import { ErrorNote, Field, Loading } from './ui.js';

export const twoFactorKey = ['two-factor'] as const;
/** The account's two-factor status (GET /api/auth/2fa), shared by the cards that ask for a second factor. */
export const twoFactorQuery = { queryKey: twoFactorKey, queryFn: async () => (await api<{ twoFactor: TwoFactorStatus }>('/api/auth/2fa')).twoFactor };
const digits = (v: string) => v.replace(/\s/g, '');

/** What the person typed as a second factor: six digits are a code from the app, anything else a recovery code. */
export function secondFactor(typed: string): { code: string } | { recoveryCode: string } {
  const v = typed.trim();
  return /^\d{6}$/.test(digits(v)) ? { code: digits(v) } : { recoveryCode: v };
}

/**
 * Two-factor sign-in (GET /api/auth/2fa): off → set up (a QR code for the
 * authenticator app, the secret as text for typing in) → a code from the app
 * turns it on and shows the ten recovery codes once → on, with how many
 * recovery codes are left; turning it off takes the password and a code.
 */
export function SettingsTwoFactor() {
  const qc = useQueryClient();
  const status = useQuery(twoFactorQuery);
  const [setup, setSetup] = useState<TwoFactorSetup | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [offOpen, setOffOpen] = useState(false);

  const begin = useMutation({
    mutationFn: async () => (await api<{ setup: TwoFactorSetup }>('/api/auth/2fa/setup', { method: 'POST' })).setup,
    onSuccess: (s) => {
      setSetup(s);
      setCode('');
    },
  });
  const enable = useMutation({
    mutationFn: async () => api<{ twoFactor: TwoFactorStatus; recoveryCodes: string[] }>('/api/auth/2fa/enable', { body: { code: digits(code) } }),
    onSuccess: (r) => {
      qc.setQueryData(twoFactorKey, r.twoFactor);
      setRecoveryCodes(r.recoveryCodes);
      setSetup(null);
      setCode('');
    },
  });
  const disable = useMutation({
    mutationFn: async () => api<{ twoFactor: TwoFactorStatus }>('/api/auth/2fa/disable', { body: { password, ...secondFactor(code) } }),
    onSuccess: (r) => {
      qc.setQueryData(twoFactorKey, r.twoFactor);
      setOffOpen(false);
      setPassword('');
      setCode('');
      setRecoveryCodes(null);
    },
  });

  const onEnable = (e: FormEvent) => {
    e.preventDefault();
    if (/^\d{6}$/.test(digits(code))) enable.mutate();
  };
  const onDisable = (e: FormEvent) => {
    e.preventDefault();
    if (password && code.trim()) disable.mutate();
  };
  const failure = begin.error ?? enable.error ?? disable.error;

  return (
    <section className="card settings-card" aria-labelledby="settings-2fa-title">
      <h2 id="settings-2fa-title">Two-factor sign-in</h2>
      <p className="hint settings-lead">With it on, logging in also asks for a code from an authenticator app on your phone, so a stolen password is not enough.</p>
      {failure && (
        <p className="form-error" role="alert">
          {errorText(failure)}
        </p>
      )}
      {status.isPending ? (
        <Loading label="Loading two-factor sign-in" />
      ) : status.isError ? (
        <ErrorNote error={status.error} retry={() => void status.refetch()} />
      ) : recoveryCodes ? (
        <div data-testid="recovery-codes">
          <p role="status">
            <strong>Two-factor sign-in is on.</strong> Save these recovery codes somewhere safe: each lets you in once if you lose your phone. They are not shown again.
          </p>
          <ul className="recovery-codes" aria-label="Recovery codes">
            {recoveryCodes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button type="button" className="btn" onClick={() => setRecoveryCodes(null)}>
            I have saved them
          </button>
        </div>
      ) : status.data.enabled ? (
        <div>
          <p data-testid="two-factor-state">
            On since {formatWhen(status.data.enabledAt!)}; {status.data.recoveryCodesLeft} recovery code{status.data.recoveryCodesLeft === 1 ? '' : 's'} left.
          </p>
          {offOpen ? (
            <form onSubmit={onDisable} noValidate className="form">
              <Field label="Password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
              <Field label="Code from the app, or a recovery code" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required />
              <div className="settings-actions">
                <button type="submit" className="btn btn-danger" disabled={disable.isPending || !password || !code.trim()}>
                  {disable.isPending ? 'Turning off…' : 'Turn off'}
                </button>
                <button type="button" className="btn btn-link" onClick={() => setOffOpen(false)}>
                  Keep it on
                </button>
              </div>
            </form>
          ) : (
            <button type="button" className="btn" onClick={() => setOffOpen(true)}>
              Turn off two-factor sign-in
            </button>
          )}
        </div>
      ) : setup ? (
        <form onSubmit={onEnable} noValidate className="form">
          <p>Scan this code with your authenticator app (Google Authenticator, 1Password, Authy, …), then enter the six digits it shows.</p>
          {/* The server renders the QR code as SVG from the otpauth:// link; nothing is fetched from elsewhere. */}
          <div className="two-factor-qr" role="img" aria-label="QR code for your authenticator app" dangerouslySetInnerHTML={{ __html: setup.qrSvg }} />
          <p className="hint">
            Cannot scan? Type this key into the app: <code data-testid="two-factor-secret">{setup.secret}</code>
          </p>
          <Field label="Code from the app" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required />
          <div className="settings-actions">
            <button type="submit" className="btn btn-primary" disabled={enable.isPending || !/^\d{6}$/.test(digits(code))}>
              {enable.isPending ? 'Checking…' : 'Turn on'}
            </button>
            <button type="button" className="btn btn-link" onClick={() => setSetup(null)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div>
          <p data-testid="two-factor-state">Off.</p>
          <button type="button" className="btn" onClick={() => begin.mutate()} disabled={begin.isPending}>
            {begin.isPending ? 'Preparing…' : 'Set up two-factor sign-in'}
          </button>
        </div>
      )}
    </section>
  );
}
