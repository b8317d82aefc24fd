import { Router } from 'express';
import type { Config } from '../../config.js';
import { mountedAt } from '../../http/route-docs.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Logger } from '../../logger.js';
import type { ModuleWithServices } from '../../module.js';
import { mailRoutes, mailRouteDocs } from './mail.routes.js';
import { MailService } from './mail.service.js';
import { outboxTransport, smtpTransport } from './transports.js';

/** Mail: SMTP through nodemailer when SMTP_URL is set, else the local outbox in the data dir. */
export function mailModule(d: { config: Config; jobs: JobQueue; logger: Logger }) {
  const { mail, publicWebUrl, publicUrl, mode } = d.config;
  const transport = mail.smtpUrl ? smtpTransport(mail.smtpUrl, mail.from) : outboxTransport(mail.outboxDir, mail.from);
  const service = new MailService({ jobs: d.jobs, transport, webUrl: publicWebUrl ?? publicUrl });
  return {
    name: 'mail',
    service,
    routes: () => Router().use('/mail', mailRoutes(service)),
    docs: mountedAt('/api/mail', mailRouteDocs, 'mail'),
    jobs: { 'mail.send': (m) => service.deliver(m) },
    start: () => {
      // Each process writes its own outbox: in a cluster, mail would sit on whichever machine ran the job.
      if (mode === 'cluster' && !mail.smtpUrl) d.logger.warn({ outbox: mail.outboxDir }, 'SMTP_URL is not set: mail goes to a local outbox nobody reads');
    },
    stop: () => transport.close(),
  } satisfies ModuleWithServices;
}
