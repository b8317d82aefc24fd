import type { OutboxMail } from '../../../shared/auth.js';
import { ApiError } from '../lib/api.js';
import { useOutbox } from '../lib/account-queries.js';
import { Empty, ErrorNote, Loading, PageTitle } from '../components/ui.js';
import { formatWhen } from '../components/wallet-queries.js';
import './outbox.css';

/**
 * The local outbox: without SMTP_URL, Pairly writes its mail to files in its
 * data dir and lists them here (only to this machine), so someone trying
 * Pairly locally can open a verification or reset link.
 */
export default function Outbox() {
  const outbox = useOutbox({ poll: true });
  return (
    <section className="page outbox">
      <PageTitle>Local outbox</PageTitle>
      <p className="hint">Pairly has no mail server configured (SMTP_URL), so its mail is kept here instead of being sent. The newest comes first.</p>
      {outbox.isPending ? (
        <Loading label="Loading the outbox" />
      ) : outbox.isError ? (
        outbox.error instanceof ApiError && outbox.error.code === 'NOT_FOUND' ? (
          <Empty title="There is no local outbox">This Pairly sends its mail through a mail server: look in your mailbox.</Empty>
        ) : (
          <ErrorNote error={outbox.error} retry={() => void outbox.refetch()} />
        )
      ) : outbox.data.length === 0 ? (
        <Empty title="No mail yet">Mail Pairly sends (sign-up, password reset) shows up here within a few seconds.</Empty>
      ) : (
        <ul className="outbox-list" aria-label="Mails">
          {outbox.data.map((m) => (
            <MailCard key={m.id} mail={m} />
          ))}
        </ul>
      )}
    </section>
  );
}

function MailCard({ mail }: { mail: OutboxMail }) {
  return (
    <li className="card outbox-mail" aria-label={`${mail.subject}, to ${mail.to}`}>
      <h2>{mail.subject}</h2>
      <p className="hint">
        To {mail.to} · <time dateTime={mail.sentAt}>{formatWhen(mail.sentAt)}</time>
      </p>
      {mail.text.split('\n\n').map((para, i) => (
        <p key={i}>
          <Linked text={para} links={mail.links} />
        </p>
      ))}
    </li>
  );
}

/**
 * The mail's words with its links clickable ("Confirm my email: https://…"
 * shows the words as the link). A link opens on this server, whatever
 * PUBLIC_URL the mail was written with: the outbox is read only on this
 * machine, often by someone who never set PUBLIC_URL to the port they use.
 */
function Linked({ text, links }: { text: string; links: string[] }) {
  const link = links.find((l) => text.endsWith(l));
  if (!link) return <>{text}</>;
  const label = text.slice(0, -link.length).replace(/:\s*$/, '');
  const { pathname, search } = new URL(link);
  return <a href={pathname + search}>{label || link}</a>;
}
