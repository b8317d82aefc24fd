import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { emailChangeBody, passwordChangeBody } from '../../../shared/auth.js';
import { api } from '../lib/api.js';
import { passwordErrorText } from '../lib/error-text.js';
import { useSession } from '../lib/session.js';
import { useSchemaForm } from './schema-form.js';
import { sessionsKey } from './settings-sessions.js';
import { Field, FormError } from './ui.js';

/** A new password (the current one required): other devices are logged out, this one stays. */
export function SettingsPassword() {
  const qc = useQueryClient();
  const empty = { currentPassword: '', newPassword: '' };
  const [form, setForm] = useState(empty);
  const [done, setDone] = useState('');
  const send = (body: typeof form) => api<{ sessionsEnded: number }>('/api/auth/password/change', { body });
  const { submit, errors, error, busy } = useSchemaForm(passwordChangeBody, form, send, ({ sessionsEnded }) => {
    setForm(empty);
    setDone(sessionsEnded ? `Password changed. ${sessionsEnded} other device${sessionsEnded === 1 ? ' was' : 's were'} logged out.` : 'Password changed.');
    void qc.invalidateQueries({ queryKey: sessionsKey });
  });
  return (
    <section className="card settings-card" aria-labelledby="settings-password-title">
      <h2 id="settings-password-title">Password</h2>
      <form className="form" onSubmit={submit} noValidate>
        <Field label="Current password" type="password" autoComplete="current-password" value={form.currentPassword} onChange={(e) => setForm({ ...form, currentPassword: e.target.value })} error={errors.currentPassword} required />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          value={form.newPassword}
          onChange={(e) => setForm({ ...form, newPassword: e.target.value })}
          error={errors.newPassword}
          hint="At least 10 characters. Your other devices will be logged out."
          required
        />
        <FormError error={error} text={passwordErrorText} />
        <div className="settings-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
          <span role="status" className="settings-saved">
            {done}
          </span>
        </div>
      </form>
    </section>
  );
}

/** A new address: links go to both addresses, and the change happens only once both are confirmed. */
export function SettingsEmail() {
  const { user } = useSession();
  const [form, setForm] = useState({ newEmail: '', password: '' });
  const [sentTo, setSentTo] = useState('');
  const send = (body: typeof form) => api('/api/auth/email/change', { body });
  const { submit, errors, error, busy } = useSchemaForm(emailChangeBody, form, send, () => {
    setSentTo(form.newEmail);
    setForm({ newEmail: '', password: '' });
  });
  if (!user) return null;
  return (
    <section className="card settings-card" aria-labelledby="settings-email-title">
      <h2 id="settings-email-title">Email</h2>
      <p className="settings-fact">
        <span className="hint">Now</span> {user.email} {user.emailVerified ? <span className="settings-badge">Confirmed</span> : <span className="settings-badge">Not confirmed yet</span>}
      </p>
      <form className="form" onSubmit={submit} noValidate>
        <Field label="New email" type="email" autoComplete="email" value={form.newEmail} onChange={(e) => setForm({ ...form, newEmail: e.target.value })} error={errors.newEmail} required />
        <Field label="Password" type="password" autoComplete="current-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} error={errors.password} required />
        <FormError error={error} />
        <div className="settings-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Sending…' : 'Change email'}
          </button>
        </div>
        <p role="status" className="settings-saved">
          {sentTo && `We sent a link to ${sentTo} and to ${user.email}. The change happens once both are confirmed.`}
        </p>
      </form>
    </section>
  );
}
