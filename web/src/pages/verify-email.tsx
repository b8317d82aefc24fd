import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import type { PublicUser } from '../../../shared/auth.js';
import { api } from '../lib/api.js';
import { useSession } from '../lib/session.js';
import { ErrorNote, Loading, PageTitle } from '../components/ui.js';

/** Opened from the verification mail: spends the link's token once, then says so (and updates the signed-in user). */
export default function VerifyEmail() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { user, userChanged } = useSession();
  const verify = useMutation({
    mutationFn: async () => {
      await api('/api/auth/verify-email', { body: { token } });
      if (user) userChanged((await api<{ user: PublicUser }>('/api/me')).user);
    },
  });
  // Once per page: a second call would spend nothing and answer LINK_USED.
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    verify.mutate();
  }, []);

  return (
    <section className="page narrow">
      <PageTitle>Confirm your email</PageTitle>
      <div className="card">
        {verify.isSuccess ? (
          <>
            <p role="status">Your email is confirmed. Thank you.</p>
            <p>
              <Link to="/">Continue to Pairly</Link>
            </p>
          </>
        ) : verify.isError ? (
          <ErrorNote error={verify.error} />
        ) : (
          <Loading label="Confirming your email" />
        )}
      </div>
    </section>
  );
}
