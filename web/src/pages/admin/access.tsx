import type { ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../../lib/api.js';
import { SettingsTwoFactor } from '../../components/settings-two-factor.js';
import { StepUpForm } from '../../components/step-up.js';
import { ErrorNote, Loading, PageTitle } from '../../components/ui.js';

const accessKey = ['admin', 'access'] as const;
const codeOf = (err: unknown) => (err instanceof ApiError ? err.code : null);

/**
 * Admins act only from a session that proved a second factor. Asks the server once (an admin route);
 * without two-factor sign-in the admin turns it on here, and a session from before it was on confirms
 * with a code; then the admin area (and its live socket) opens.
 */
export function AdminAccess({ children }: { children: ReactNode }) {
  const access = useQuery({ queryKey: accessKey, queryFn: () => api('/api/admin/presence'), retry: false, staleTime: Infinity });
  const again = () => void access.refetch();
  if (access.isPending) return <Loading label="Opening the admin area" />;
  if (!access.isError) return children;
  const code = codeOf(access.error);
  if (code === 'TWO_FACTOR_SETUP_REQUIRED')
    return (
      <section className="page narrow admin-gate">
        <PageTitle>Turn on two-factor sign-in</PageTitle>
        <p>The admin area opens only to admins who sign in with a code from an authenticator app as well as their password.</p>
        <SettingsTwoFactor />
        <button type="button" className="btn btn-primary" onClick={again}>
          Continue to the admin area
        </button>
      </section>
    );
  if (code === 'STEP_UP_REQUIRED')
    return (
      <section className="page narrow admin-gate">
        <PageTitle>Confirm it is you</PageTitle>
        <div className="card">
          <StepUpForm onDone={again} lead={<p>This session signed in before two-factor sign-in was on. Enter the code your authenticator app shows now.</p>} />
        </div>
      </section>
    );
  return <ErrorNote error={access.error} retry={again} />;
}
