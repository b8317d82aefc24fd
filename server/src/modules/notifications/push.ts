import webpush from 'web-push';
import type { PushMessage } from '../../../../shared/notifications.js';

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** A push service that does not answer in this long fails the job (which is retried). */
const PUSH_TIMEOUT_MS = 10_000;
/** A push not delivered within a day is dropped by the push service: stale news is noise. */
const PUSH_TTL_SECONDS = 86_400;

export const generateVapidKeys = (): VapidKeys => webpush.generateVAPIDKeys();

/**
 * Web push (RFC 8030) signed with VAPID (RFC 8292) and encrypted as aes128gcm (RFC 8291), both done
 * by the `web-push` library; the request itself goes out through fetch, so that a push service on
 * http:// (a local one, allowed by NOTIFY_PUSH_HTTP_ENDPOINTS) is reached as well as browsers' https ones.
 */
export class WebPushSender {
  constructor(private readonly o: { keys: VapidKeys; subject: string }) {}

  get publicKey(): string {
    return this.o.keys.publicKey;
  }

  /** 'gone': the push service no longer knows the subscription (404/410) and it should be dropped. */
  async send(target: PushTarget, message: PushMessage): Promise<'sent' | 'gone'> {
    const req = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, JSON.stringify(message), {
      vapidDetails: { subject: this.o.subject, publicKey: this.o.keys.publicKey, privateKey: this.o.keys.privateKey },
      contentEncoding: 'aes128gcm',
      TTL: PUSH_TTL_SECONDS,
      // One notification collapsed again replaces its previous push in the push service's queue.
      topic: message.id.replace(/-/g, '').slice(0, 32),
    });
    const res = await fetch(req.endpoint, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.body,
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    if (res.status === 404 || res.status === 410) return 'gone';
    if (!res.ok) throw new Error(`the push service answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return 'sent';
  }
}
