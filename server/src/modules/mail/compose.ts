import type { JobPayloads } from '../../../../shared/jobs.js';

export type Mail = JobPayloads['mail.send'];

/** What a mail says: short paragraphs and at most a few links, each with the words of its button. */
export interface MailContent {
  subject: string;
  paragraphs: string[];
  links?: { label: string; url: string }[];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Plain text (every client shows it, and the outbox page reads links from it)
 * plus a small HTML body with the same words: no images, no tracking, no
 * remote styles.
 */
export function composeMail(key: string, to: string, c: MailContent): Mail {
  const links = c.links ?? [];
  const text = [...c.paragraphs, ...links.map((l) => `${l.label}: ${l.url}`), '— Pairly'].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5; max-width: 36em">',
    ...c.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...links.map((l) => `<p><a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a><br><small>${escapeHtml(l.url)}</small></p>`),
    '<p>— Pairly</p></body></html>',
  ].join('\n');
  return { key, to, subject: c.subject, text, html };
}

/** The links of a plain-text mail, in order (for the outbox page and for tests reading a stand-in's mail). */
export function linksOf(text: string): string[] {
  return [...text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
}
