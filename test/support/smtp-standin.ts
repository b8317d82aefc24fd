import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for an SMTP server (the smtp-server package), on 127.0.0.1: it
 * receives real SMTP from Pairly's nodemailer transport and keeps each mail
 * for the test to read. It is NOT a mail provider: nothing is relayed, and
 * it accepts any sender and recipient without authentication.
 */
export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** The http(s) links of the plain-text body, in order. */
  links: string[];
}

export interface SmtpStandin {
  /** For SMTP_URL. */
  url: string;
  mails: ReceivedMail[];
  /** Connections refused so far (with failNext). */
  refused: number;
  /** The next n connections are answered "421 service not available", as a server that is down for maintenance does. */
  failNext(n: number): void;
  /** The first mail to `to` (matching `match`) received from now on or already; rejects after ms. */
  waitForMail(to: string, match?: (m: ReceivedMail) => boolean, ms?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpStandin(): Promise<SmtpStandin> {
  const mails: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let toFail = 0;
  const state = { refused: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      if (toFail > 0) {
        toFail--;
        state.refused++;
        return callback(Object.assign(new Error('stand-in: service not available'), { responseCode: 421 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address)));
        for (const w of waiters) w();
        callback();
      });
    },
  });
  server.on('error', () => {
    /* a client that hangs up mid-session; the test sees the missing mail */
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    get refused() {
      return state.refused;
    },
    failNext(n) {
      toFail = n;
    },
    waitForMail(to, match = () => true, ms = 15_000) {
      const find = () => mails.find((m) => m.to.includes(to) && match(m));
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = find();
          if (!m) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no mail to ${to} within ${ms} ms (received: ${mails.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ') || 'none'})`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads what nodemailer writes: headers, then a text/plain and a text/html part (multipart/alternative), 7bit or quoted-printable. */
function parseMail(raw: string, to: string[]): ReceivedMail {
  const { headers, body } = splitHeaders(raw);
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1).map((p) => splitHeaders(p.replace(/^\r?\n/, ''))) : [{ headers, body }];
  const partOf = (type: string) => {
    const p = parts.find((x) => (x.headers['content-type'] ?? 'text/plain').startsWith(type));
    if (!p) return '';
    return /quoted-printable/i.test(p.headers['content-transfer-encoding'] ?? '') ? decodeQuotedPrintable(p.body) : p.body;
  };
  const text = partOf('text/plain').replace(/\r\n/g, '\n').trim();
  return {
    to,
    subject: headers.subject ?? '',
    text,
    html: partOf('text/html'),
    messageId: headers['message-id'] ?? '',
    links: [...text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]),
  };
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  // Folded header lines continue with whitespace.
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
