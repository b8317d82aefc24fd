import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api } from '../lib/api.js';
import { ErrorNote, Loading, PageTitle } from '../components/ui.js';

/**
 * Opened from the mail a risky sign-in sent (LOGIN_CONFIRMATION_REQUIRED): confirms it once; the person then
 * logs in again on the device that asked. No session here: the link may be opened on another device.
 */
export default function ConfirmLogin() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const confirm = useMutation({ mutationFn: () => api('/api/risk/logins/confirm', { body: { token } }) });
  // Once per page: a second call would answer LINK_USED.
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    confirm.mutate();
  }, []);

  return (
    <section className="page narrow">
      <PageTitle>Confirm a sign-in</PageTitle>
      <div className="card">
        {confirm.isSuccess ? (
          <>
            <p role="status">Thank you: the sign-in is confirmed. Go back to the device you were signing in on and log in again.</p>
            <p>
              <Link to="/login">Log in</Link>
            </p>
          </>
        ) : confirm.isError ? (
          <ErrorNote error={confirm.error} />
        ) : (
          <Loading label="Confirming the sign-in" />
        )}
      </div>
    </section>
  );
}
