import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { oidcSignupBody, type AuthResult } from '../../../shared/auth.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { api, ApiError } from '../lib/api.js';
import { useSession } from '../lib/session.js';
import { useSchemaForm } from '../components/schema-form.js';
import { ErrorNote, Loading, PageTitle } from '../components/ui.js';
import { ProfileFields, SecondStep } from './auth.js';

/** "Continue with Google / Apple": only the providers the server offers; each is a plain navigation to its start. */
export function ProviderButtons() {
  const offered = useQuery({ queryKey: ['oidc-providers'], queryFn: () => api<{ providers: { name: string; label: string }[] }>('/api/auth/oidc/providers') });
  const providers = offered.data?.providers ?? [];
  if (providers.length === 0) return null;
  return (
    <div className="form">
      {providers.map((p) => (
        <a key={p.name} className="btn" href={`/api/auth/oidc/${p.name}/start`}>
          Continue with {p.label}
        </a>
      ))}
    </div>
  );
}

/**
 * Where the server's callback sends the browser: the outcome is in the URL
 * fragment (never sent to any server, nor kept in history once read).
 */
export default function OidcCallback() {
  const [outcome] = useState(() => Object.fromEntries(new URLSearchParams(window.location.hash.slice(1))));
  useEffect(() => window.history.replaceState(null, '', window.location.pathname), []);
  if (outcome.login) return <Exchange ticket={outcome.login} />;
  if (outcome.signup) return <FinishSignup ticket={outcome.signup} email={outcome.email ?? ''} />;
  return (
    <section className="page narrow">
      <PageTitle>Sign in</PageTitle>
      <div className="card">
        {outcome.linkMailed ? (
          <p role="status">
            {outcome.linkMailed} already has a Pairly account. We mailed it a link: open it to sign in this way from now on, or <Link to="/login">log in with your password</Link>.
          </p>
        ) : (
          <ErrorNote error={new ApiError((outcome.error ?? 'OIDC_STATE_INVALID') as ErrorCode, 'sign-in failed', 400)} />
        )}
      </div>
    </section>
  );
}

function useFinish() {
  const { signedIn } = useSession();
  const navigate = useNavigate();
  return (result: AuthResult, to = '/discover') => {
    signedIn(result);
    navigate(to);
  };
}

function Exchange({ ticket }: { ticket: string }) {
  const finish = useFinish();
  const exchange = useMutation({ mutationFn: () => api<AuthResult>('/api/auth/oidc/exchange', { body: { ticket } }), onSuccess: (r) => finish(r) });
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    exchange.mutate();
  }, []);
  const err = exchange.error;
  const challenge = err instanceof ApiError && err.code === 'TWO_FACTOR_REQUIRED' ? (err.details as { challenge?: string } | undefined)?.challenge : undefined;
  if (challenge) return <SecondStep challenge={challenge} onDone={(r) => finish(r)} />;
  return (
    <section className="page narrow">
      <PageTitle>Signing in</PageTitle>
      <div className="card">{err ? <ErrorNote error={err} /> : <Loading label="Signing you in" />}</div>
    </section>
  );
}

/** A new account from the provider's verified address: what the provider does not tell. */
function FinishSignup({ ticket, email }: { ticket: string; email: string }) {
  const finish = useFinish();
  const [form, setForm] = useState({ ticket, displayName: '', birthdate: '', role: 'fan' as 'fan' | 'creator' });
  const set = (k: 'displayName' | 'birthdate' | 'role') => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const signup = (body: typeof form) => api<AuthResult>('/api/auth/oidc/signup', { body });
  const { submit, errors, error, busy } = useSchemaForm(oidcSignupBody, form, signup, (r) => finish(r, '/onboarding'));
  return (
    <section className="page narrow">
      <PageTitle>Join Pairly</PageTitle>
      <form onSubmit={submit} noValidate className="card form">
        <p>Your account will use {email}.</p>
        <ProfileFields form={form} errors={errors} set={set} />
        <ErrorNote error={error} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
    </section>
  );
}

/** Opened from the mailed link: the mailbox is proved, the provider joins the account. */
export function OidcLink() {
  const [params] = useSearchParams();
  const link = useMutation({ mutationFn: () => api<{ provider: string }>('/api/auth/oidc/link', { body: { token: params.get('token') ?? '' } }) });
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    link.mutate();
  }, []);
  return (
    <section className="page narrow">
      <PageTitle>Link your sign-in</PageTitle>
      <div className="card">
        {link.isSuccess ? (
          <p role="status">
            Done: you can now continue with {link.data.provider === 'apple' ? 'Apple' : 'Google'} to sign in. <Link to="/login">Log in</Link>
          </p>
        ) : link.isError ? (
          <ErrorNote error={link.error} />
        ) : (
          <Loading label="Linking" />
        )}
      </div>
    </section>
  );
}
