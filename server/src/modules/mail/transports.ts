import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { OutboxMail } from '../../../../shared/auth.js';
import { linksOf, type Mail } from './compose.js';

/** Where a composed mail goes: an SMTP server, or files in the data dir. */
export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  deliver(mail: Mail): Promise<void>;
  close(): void;
}

/** A slow or silent SMTP server fails the job (which is retried) instead of holding a worker for minutes. */
const SMTP_TIMEOUT_MS = 15_000;

export function smtpTransport(url: string, from: string): MailTransport {
  const t = nodemailer.createTransport({
    url,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    kind: 'smtp',
    async deliver(m) {
      await t.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: messageId(m.key) });
    },
    close: () => t.close(),
  };
}

/** The same Message-ID for every attempt of one mail, so a receiving server can tell a retry from a second mail. */
const messageId = (key: string) => `<${fileId(key)}@pairly>`;
const fileId = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 24);

/**
 * The local outbox (embedded mode without SMTP_URL): each mail as `<id>.eml`
 * (what an SMTP server would have received) and `<id>.json` (what the outbox
 * page lists). A retried job rewrites the same two files.
 */
export function outboxTransport(dir: string, from: string): MailTransport & { list(limit: number): Promise<OutboxMail[]> } {
  const render = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'outbox',
    async deliver(m) {
      await mkdir(dir, { recursive: true });
      const id = fileId(m.key);
      const info = await render.sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: messageId(m.key) });
      await writeAtomically(join(dir, `${id}.eml`), info.message as Buffer);
      const entry: OutboxMail = { id, to: m.to, subject: m.subject, text: m.text, links: linksOf(m.text), sentAt: new Date().toISOString() };
      await writeAtomically(join(dir, `${id}.json`), JSON.stringify(entry));
    },
    async list(limit) {
      const names = await readdir(dir).catch(() => [] as string[]);
      const mails = await Promise.all(
        names.filter((n) => n.endsWith('.json')).map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as OutboxMail),
      );
      return mails.sort((a, b) => b.sentAt.localeCompare(a.sentAt)).slice(0, limit);
    },
    close: () => render.close(),
  };
}

/** A reader never sees half a file: written beside it, then renamed over it. */
async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
