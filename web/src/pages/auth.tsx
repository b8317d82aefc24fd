import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { loginBody, signupBody, type AuthResult, type LoginBody } from '../../../shared/auth.js';
import { SuspendedNotice } from './suspended.js';
import { api, ApiError } from '../lib/api.js';
import { errorText, passwordErrorText } from '../lib/error-text.js';
import { loginStop } from '../lib/risk.js';
import { useSession } from '../lib/session.js';
import { useSchemaForm } from '../components/schema-form.js';
import { Field, PageTitle } from '../components/ui.js';
import { ProviderButtons } from './oidc.js';

const logIn = (body: LoginBody) => api<AuthResult>('/api/auth/login', { body });

/** Only same-site paths are followed after login (never an absolute URL from the query string). */
function safeNext(next: string | null): string | null {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

/** After a sign-up, a login that fails means the address had an account already, with another password: its mail says so. */
const SIGNUP_LOGIN_REFUSED = 'Check your mail: if this address already has an account, log in with its password or reset it.';

function FormError({ error, signup = false }: { error: unknown; signup?: boolean }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : null;
  const text =
    signup && code === 'INVALID_CREDENTIALS' ? SIGNUP_LOGIN_REFUSED : passwordErrorText(error);
  return (
    <p className="form-error" role="alert">
      {text}
      {signup && code === 'INVALID_CREDENTIALS' && (
        <>
          {' '}
          <Link to="/login">Log in</Link>
        </>
      )}
    </p>
  );
}

export function Signup() {
  const { signedIn } = useSession();
  const navigate = useNavigate();
  const [form, setForm] = useState({ email: '', password: '', displayName: '', birthdate: '', role: 'fan' as 'fan' | 'creator' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  // Sign-up answers the same whether or not the address has an account (it mails the difference): then log in as usual.
  const join = async (body: typeof form) => {
    await api('/api/auth/signup', { body });
    return logIn({ email: body.email, password: body.password });
  };
  const { submit, errors, error, busy } = useSchemaForm(signupBody, form, join, (result) => {
    signedIn(result);
    navigate('/onboarding');
  });

  return (
    <section className="page narrow">
      <PageTitle>Join Pairly</PageTitle>
      <form onSubmit={submit} noValidate className="card form">
        <Field label="Email" type="email" autoComplete="email" value={form.email} onChange={set('email')} error={errors.email} required />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          value={form.password}
          onChange={set('password')}
          error={errors.password}
          hint="At least 10 characters, with letters and a digit or symbol."
          required
        />
        <ProfileFields form={form} errors={errors} set={set} />
        <FormError error={error} signup />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
        <ProviderButtons />
        <p>
          Already have an account? <Link to="/login">Log in</Link>
        </p>
      </form>
    </section>
  );
}

type ProfileForm = { displayName: string; birthdate: string; role: 'fan' | 'creator' };

/** What every new account is asked, however it signs in: the name shown, the birthdate (18+), the role. */
export function ProfileFields({ form, errors, set }: { form: ProfileForm; errors: Partial<Record<string, string>>; set: (k: keyof ProfileForm) => (e: { target: { value: string } }) => void }) {
  return (
    <>
      <Field label="Display name" autoComplete="nickname" value={form.displayName} onChange={set('displayName')} error={errors.displayName} required />
      <Field label="Date of birth" type="date" value={form.birthdate} onChange={set('birthdate')} error={errors.birthdate} hint="You must be 18 or older." required />
      <fieldset className="field">
        <legend>I am joining as</legend>
        <label className="radio">
          <input type="radio" name="role" value="fan" checked={form.role === 'fan'} onChange={set('role')} /> A member
        </label>
        <label className="radio">
          <input type="radio" name="role" value="creator" checked={form.role === 'creator'} onChange={set('role')} /> A creator (set prices for messages and calls)
        </label>
      </fieldset>
    </>
  );
}

export function Login() {
  const { signedIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [form, setForm] = useState({ email: '', password: '' });
  const finish = (result: AuthResult) => {
    signedIn(result);
    navigate(safeNext(params.get('next')) ?? (result.user.role === 'admin' ? '/admin' : '/discover'));
  };
  const { submit, errors, error, busy } = useSchemaForm(loginBody, form, logIn, finish);
  const stop = loginStop(error);
  // The password was right and the account has two-factor sign-in: the second step, with the server's challenge.
  if (stop.kind === 'two_factor') return <SecondStep challenge={stop.challenge} onDone={finish} />;
  // Suspended or banned: why, until when, and the appeal (the refusal carries its token).
  if (stop.kind === 'suspended') return <SuspendedNotice details={stop.details} />;

  return (
    <section className="page narrow">
      <PageTitle>Log in</PageTitle>
      <form onSubmit={submit} noValidate className="card form">
        <Field label="Email" type="email" autoComplete="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} error={errors.email} required />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.target.value })}
          error={errors.password}
          required
        />
        {stop.kind === 'check_email' ? (
          // A risky sign-in without two-factor: a link went to the address; the same sign-in goes through once it is opened.
          <p role="status">
            <strong>Check your email.</strong> This sign-in looks unusual for your account, so we sent a link to {form.email}. Open it, then log
            in again here.
          </p>
        ) : stop.kind === 'held' ? (
          <p className="form-error" role="alert">
            {errorText(error)}
          </p>
        ) : (
          <FormError error={error} />
        )}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Logging in…' : stop.kind === 'check_email' ? 'I opened the link: log in again' : 'Log in'}
        </button>
        <ProviderButtons />
        <p>
          <Link to="/forgot-password">Forgot your password?</Link>
        </p>
        <p>
          New here? <Link to="/signup">Create an account</Link>
        </p>
      </form>
    </section>
  );
}

/** A login's second step: a code from the authenticator app, or one of the recovery codes. */
export function SecondStep({ challenge, onDone }: { challenge: string; onDone: (result: AuthResult) => void }) {
  const [useRecovery, setUseRecovery] = useState(false);
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const v = value.trim();
    if (!useRecovery && !/^\d{6}$/.test(v.replace(/\s/g, ''))) {
      setError(new ApiError('VALIDATION_FAILED', 'The code is the six digits your app shows.', 400));
      return;
    }
    setBusy(true);
    try {
      onDone(await api<AuthResult>('/api/auth/login/2fa', { body: useRecovery ? { challenge, recoveryCode: v } : { challenge, code: v.replace(/\s/g, '') } }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="page narrow">
      <PageTitle>Two-factor sign-in</PageTitle>
      <form onSubmit={submit} noValidate className="card form">
        <p>{useRecovery ? 'Enter one of the recovery codes you saved when you turned two-factor sign-in on. Each works once.' : 'Open your authenticator app and enter the six-digit code it shows for Pairly.'}</p>
        <Field
          label={useRecovery ? 'Recovery code' : 'Code'}
          inputMode={useRecovery ? 'text' : 'numeric'}
          autoComplete="one-time-code"
          autoFocus
          value={value}
          onChange={(e) => setValue(e.target.value)}
          required
        />
        <FormError error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        <button
          type="button"
          className="btn btn-link"
          onClick={() => {
            setUseRecovery(!useRecovery);
            setValue('');
            setError(null);
          }}
        >
          {useRecovery ? 'Use a code from the app instead' : 'Use a recovery code instead'}
        </button>
      </form>
    </section>
  );
}
