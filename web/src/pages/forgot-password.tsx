import { useState } from 'react';
import { Link } from 'react-router';
import { passwordResetRequestBody } from '../../../shared/auth.js';
import { api } from '../lib/api.js';
import { useOutbox } from '../lib/account-queries.js';
import { useSchemaForm } from '../components/schema-form.js';
import { Field, FormError, PageTitle } from '../components/ui.js';

/** Asks for a reset link. The answer is the same whether or not an account uses the address: the mail says which. */
export default function ForgotPassword() {
  const [form, setForm] = useState({ email: '' });
  const [sent, setSent] = useState(false);
  const send = (body: { email: string }) => api('/api/auth/password/forgot', { body });
  const { submit, errors, error, busy } = useSchemaForm(passwordResetRequestBody, form, send, () => setSent(true));
  const outbox = useOutbox({ enabled: sent });

  return (
    <section className="page narrow">
      <PageTitle>Forgot your password?</PageTitle>
      {sent ? (
        <div className="card">
          <p role="status">Check your mail: if an account uses {form.email}, a link to choose a new password is on its way. It works for an hour.</p>
          {outbox.isSuccess && (
            <p>
              This Pairly keeps its mail in a <Link to="/outbox">local outbox</Link>.
            </p>
          )}
        </div>
      ) : (
        <form onSubmit={submit} noValidate className="card form">
          <p>Enter the email you signed up with. We will send a link to choose a new password.</p>
          <Field label="Email" type="email" autoComplete="email" value={form.email} onChange={(e) => setForm({ email: e.target.value })} error={errors.email} required />
          <FormError error={error} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send me a link'}
          </button>
          <p>
            <Link to="/login">Back to log in</Link>
          </p>
        </form>
      )}
    </section>
  );
}
