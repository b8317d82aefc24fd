import { Link, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import type { EmailChangeConfirmation, PublicUser } from '../../../shared/auth.js';
import { api } from '../lib/api.js';
import { useSession } from '../lib/session.js';
import { FormError, PageTitle } from '../components/ui.js';

/**
 * Opened from a change-of-address mail. The new address's link confirms; the
 * current address's mail has a confirm and a cancel link (`cancel=1`). The
 * person presses the button: a mail scanner that opens links changes nothing.
 */
export default function ConfirmEmail() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const cancel = params.has('cancel');
  const { user, userChanged } = useSession();
  const act = useMutation({
    mutationFn: async (): Promise<EmailChangeConfirmation['state'] | 'cancelled'> => {
      if (cancel) {
        await api('/api/auth/email/cancel', { body: { token } });
        return 'cancelled';
      }
      const { state } = await api<EmailChangeConfirmation>('/api/auth/email/confirm', { body: { token } });
      if (state === 'changed' && user) userChanged((await api<{ user: PublicUser }>('/api/me')).user);
      return state;
    },
  });
  const done = {
    cancelled: 'The change of address is cancelled. If you did not ask for it, change your password.',
    waiting_for_other_address: 'Confirmed. The change happens once the other address confirms too.',
    changed: 'Done: your account now uses the new address.',
  };

  return (
    <section className="page narrow">
      <PageTitle>{cancel ? 'Cancel the change of address' : 'Confirm the change of address'}</PageTitle>
      <div className="card form">
        {act.isSuccess ? (
          <>
            <p role="status">{done[act.data]}</p>
            <p>
              <Link to="/">Continue to Pairly</Link>
            </p>
          </>
        ) : (
          <>
            <FormError error={act.error} />
            <button type="button" className="btn btn-primary" onClick={() => act.mutate()} disabled={act.isPending}>
              {cancel ? 'Cancel the change' : 'Confirm the change'}
            </button>
          </>
        )}
      </div>
    </section>
  );
}
