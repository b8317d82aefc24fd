import { Link } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api } from '../lib/api.js';
import { useSession } from '../lib/session.js';
import { useOutbox } from '../lib/account-queries.js';
import { errorText } from '../lib/error-text.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Until the address is confirmed: a reminder on every page, a way to have the
 * link sent again, and, where mail stays in the local outbox, the way there.
 * Nothing in the app waits for it (README: "Accounts").
 */
export function VerifyBanner() {
  const { user } = useSession();
  const unverified = user !== null && !user.emailVerified;
  // The server lets only its own machine read the outbox: elsewhere there is nothing to point at.
  const outbox = useOutbox({ enabled: unverified && LOCAL_HOSTS.has(window.location.hostname) });
  const resend = useMutation({ mutationFn: () => api('/api/auth/verify-email/resend', { method: 'POST' }) });
  if (!unverified) return null;
  return (
    <div className="banner" role="status">
      Please confirm your email: we sent a link to {user.email}.{' '}
      {resend.isSuccess ? (
        'A new link is on its way.'
      ) : resend.isError ? (
        errorText(resend.error)
      ) : (
        <button type="button" className="btn btn-link" onClick={() => resend.mutate()} disabled={resend.isPending}>
          Send it again
        </button>
      )}
      {outbox.isSuccess && (
        <>
          {' '}
          <Link to="/outbox">Open the local outbox</Link>
        </>
      )}
    </div>
  );
}

