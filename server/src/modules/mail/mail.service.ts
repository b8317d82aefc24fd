import type { OutboxMail } from '../../../../shared/auth.js';
import { AppError } from '../../errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import { composeMail, type Mail, type MailContent } from './compose.js';
import type { MailTransport } from './transports.js';

/** Mails listed by the outbox page at most (the newest first). */
const OUTBOX_LISTED = 100;

/**
 * Sending is a job (`mail.send`): a request only enqueues, after the
 * transaction that made the mail's token committed, so a slow or down SMTP
 * server never holds a request, and a failed send is retried with backoff
 * (then dead-lettered, where an admin can retry it).
 */
export class MailService {
  constructor(
    private readonly d: {
      jobs: Pick<JobQueue, 'enqueue'>;
      transport: MailTransport & { list?(limit: number): Promise<OutboxMail[]> };
      /** Where links in mails point: PUBLIC_WEB_URL, else PUBLIC_URL. */
      webUrl: string;
    },
  ) {}

  /** `key` names the mail's cause (`verify:<tokenHash>`): enqueuing one cause twice sends one mail. */
  async send(key: string, to: string, content: MailContent): Promise<void> {
    const mail = composeMail(key, to, content);
    await this.d.jobs.enqueue('mail.send', mail, { jobId: `mail:${key}` });
  }

  /** A link into the web app, e.g. link('/verify-email', { token }). */
  link(path: string, query: Record<string, string> = {}): string {
    const url = new URL(path, this.d.webUrl);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url.toString();
  }

  /** The job: hands the mail to SMTP or the outbox; a failure throws so that the job is retried. */
  deliver(mail: Mail): Promise<void> {
    return this.d.transport.deliver(mail);
  }

  get usesOutbox(): boolean {
    return this.d.transport.kind === 'outbox';
  }

  /** The outbox's mails, newest first; NOT_FOUND when mail goes through SMTP (there is no outbox). */
  async outbox(): Promise<OutboxMail[]> {
    if (!this.d.transport.list) throw new AppError('NOT_FOUND', 'mail goes through SMTP here; there is no local outbox');
    return this.d.transport.list(OUTBOX_LISTED);
  }
}
