import { useQuery } from '@tanstack/react-query';
import type { OutboxMail } from '../../../shared/auth.js';
import { api } from './api.js';

/**
 * The local outbox (GET /api/mail/outbox): mail written to the data dir when
 * the server has no SMTP_URL. It answers NOT_FOUND where mail goes through
 * SMTP, which is how the app knows whether to point at it.
 */
export function useOutbox(opts: { poll?: boolean; enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ['mail', 'outbox'],
    queryFn: async () => (await api<{ mails: OutboxMail[] }>('/api/mail/outbox')).mails,
    enabled: opts.enabled ?? true,
    // Mail is sent by a background job: the page looks again until it arrives.
    refetchInterval: opts.poll ? 2000 : false,
  });
}
