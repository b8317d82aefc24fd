import { useMutation, useQuery } from '@tanstack/react-query';
import { api } from '../lib/api.js';
import { FormError } from './ui.js';

type Consoles = { consoles: { queues: string | null; sockets: string | null } };

/**
 * Links to the operators' consoles (bull-board, the Socket.IO admin UI). They are browser apps of their own
 * that read a console cookie: opening one first asks the server for it (POST /api/admin/consoles/session),
 * then opens the console in a new tab. The tab is opened before the request, so the browser treats it as
 * the click's own window and does not block it.
 */
export function AdminConsoles() {
  const list = useQuery({ queryKey: ['admin', 'consoles'], queryFn: () => api<Consoles>('/api/admin/consoles') });
  const open = useMutation({
    mutationFn: async ({ path, tab }: { path: string; tab: Window | null }) => {
      try {
        await api('/api/admin/consoles/session', { method: 'POST', body: {} });
      } catch (err) {
        tab?.close();
        throw err;
      }
      if (tab) tab.location.href = path;
      else window.location.href = path;
    },
  });
  const c = list.data?.consoles;
  if (!c || (!c.queues && !c.sockets)) return null;
  const go = (path: string) => open.mutate({ path, tab: window.open('about:blank', '_blank') });
  return (
    <section className="card admin-consoles" aria-label="Consoles">
      <p>
        {c.queues && (
          <button type="button" className="btn btn-secondary" onClick={() => go(c.queues!)} disabled={open.isPending}>
            Open the queues console
          </button>
        )}{' '}
        {c.sockets && (
          <button type="button" className="btn btn-secondary" onClick={() => go(c.sockets!)} disabled={open.isPending}>
            Open the Socket.IO console
          </button>
        )}
      </p>
      <p className="hint">
        The queues console shows every background job by queue and state, with retries; the Socket.IO console shows the nodes, their sockets and rooms (connect it to this site&apos;s address, admin namespace <code>/socket-admin</code>).
      </p>
      <FormError error={open.error} />
    </section>
  );
}
