import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { passwordResetBody } from '../../../shared/auth.js';
import { api, ApiError } from '../lib/api.js';
import { passwordErrorText } from '../lib/error-text.js';
import { useSchemaForm } from '../components/schema-form.js';
import { Field, FormError, PageTitle } from '../components/ui.js';

/** Opened from the reset mail: a new password; every device is logged out, this one included. */
export default function ResetPassword() {
  const [params] = useSearchParams();
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const form = { token: params.get('token') ?? '', password };
  const send = (body: typeof form) => api('/api/auth/password/reset', { body });
  const { submit, errors, error, busy } = useSchemaForm(passwordResetBody, form, send, () => setDone(true));

  return (
    <section className="page narrow">
      <PageTitle>Choose a new password</PageTitle>
      {done ? (
        <div className="card">
          <p role="status">Your new password is set, and every device was logged out.</p>
          <p>
            <Link to="/login">Log in</Link>
          </p>
        </div>
      ) : (
        <form onSubmit={submit} noValidate className="card form">
          <Field
            label="New password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={errors.password ?? (errors.token && 'This link is incomplete: open it again from the mail.')}
            hint="At least 10 characters, with letters and a digit or symbol."
            required
          />
          <FormError error={error} text={passwordErrorText} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Set the new password'}
          </button>
          {error instanceof ApiError && error.code.startsWith('LINK_') && (
            <p>
              <Link to="/forgot-password">Ask for a new link</Link>
            </p>
          )}
        </form>
      )}
    </section>
  );
}
