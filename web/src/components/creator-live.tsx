import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useSession } from '../lib/session.js';
import { useSocketEvent } from '../lib/socket.js';
import { credits, dateText, subscriptionNotice } from '../lib/creators-format.js';
import { creatorKeys } from '../lib/creators-queries.js';
import './creator-live.css';

interface Toast {
  id: string;
  text: string;
  /** Stays until dismissed: a notice that asks something of the reader (an unpaid renewal, a price rise). */
  sticky?: boolean;
}

/** How long a toast that asks nothing (a tip, a new subscriber, a renewal) stays, unless the pointer or focus is on the toasts. */
const TOAST_MS = 8000;

/**
 * Live creator pushes on every page: a creator's `tip:received` (also put at
 * the top of the studio's tips list) and `subscriber:joined`, and a fan's `subscription:updated` and
 * `subscription:price_changed`. Loaded lazily by the layout for signed-in
 * people, so the first load does not carry it.
 */
export default function CreatorLive() {
  const { user } = useSession();
  const qc = useQueryClient();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = (id: string, text: string, sticky = false) => setToasts((t) => [...t.filter((x) => x.id !== id), { id, text, sticky }].slice(-3));
  const dismiss = (id: string) => setToasts((t) => t.filter((x) => x.id !== id));
  // While the reader points at or tabs into the toasts, none leaves on its own (it may be being read or dismissed).
  const [held, setHeld] = useState(false);
  // Each timer belongs to one toast object: a notice pushed again under its id (a renewal, then that renewal unpaid)
  // is a new object, and must not be taken away by the timer of the one it replaced.
  const timers = useRef(new Map<Toast, ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const live = timers.current;
    for (const [toast, timer] of live) {
      if (held || !toasts.includes(toast)) {
        clearTimeout(timer);
        live.delete(toast);
      }
    }
    if (held) return;
    for (const t of toasts) {
      if (!t.sticky && !live.has(t)) live.set(t, setTimeout(() => (live.delete(t), setToasts((ts) => ts.filter((x) => x !== t))), TOAST_MS));
    }
  }, [toasts, held]);
  useEffect(() => () => timers.current.forEach((timer) => clearTimeout(timer)), []);

  useSocketEvent('tip:received', ({ tip }) => {
    push(tip.id, `${tip.fanName} tipped you ${credits(tip.amount)}${tip.note ? `: “${tip.note}”` : '.'}`);
    void qc.invalidateQueries({ queryKey: creatorKeys.tips });
  });
  useSocketEvent('subscriber:joined', ({ subscriber }) => {
    push(
      `joined:${subscriber.subscriptionId}`,
      subscriber.trial
        ? `${subscriber.fanName} started a free trial of ${subscriber.tierName}.`
        : `${subscriber.fanName} subscribed to ${subscriber.tierName} for ${subscriber.months === 1 ? 'a month' : `${subscriber.months} months`} (${credits(subscriber.amount)}).`,
    );
    void qc.invalidateQueries({ queryKey: creatorKeys.subscribers });
    void qc.invalidateQueries({ queryKey: ['creators', 'page'] });
  });
  useSocketEvent('subscription:updated', ({ subscription, reason }) => {
    // One notice per subscription: the newest (grace after renewed, ended after grace) replaces the one before.
    // The fan's own change (cancel, resume, tier) on another device needs no notice: the lists below refresh.
    // A renewal that could not be paid (credits wanted) or a subscription that ended stays until dismissed.
    if (reason !== 'changed') push(`sub:${subscription.id}`, subscriptionNotice(subscription, reason), reason !== 'renewed');
    void qc.invalidateQueries({ queryKey: creatorKeys.subscriptions });
    void qc.invalidateQueries({ queryKey: ['creators', 'page'] });
    // An ended subscription locks its posts again, and a renewal at another tier may open more: every post list reloads.
    void qc.invalidateQueries({ queryKey: ['posts'] });
    // The media cache keeps an unlocked view over a later locked one (lib/media.ts fresherView: a stale page must not
    // re-lock what was just bought), so an ended subscription asks the server again for the views on screen.
    if (reason === 'expired') void qc.invalidateQueries({ queryKey: ['media'] });
  });
  useSocketEvent('subscription:price_changed', ({ creator, tierId, tierName, price, effectiveAt }) => {
    push(`price:${tierId}:${effectiveAt}`, `${creator.displayName} raises ${tierName} to ${credits(price)} a month from ${dateText(effectiveAt)}. Your renewals before then keep the old price.`, true);
    void qc.invalidateQueries({ queryKey: creatorKeys.subscriptions });
  });

  if (!user) return null;
  // One live region that stays mounted, so each new toast is announced.
  return (
    <div
      className={toasts.length > 0 ? 'tip-toasts' : 'visually-hidden'}
      role="status"
      aria-live="polite"
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) setHeld(false);
      }}
    >
      {toasts.map((t) => (
        <div key={t.id} className="tip-toast" data-testid="live-toast">
          <span>{t.text}</span>
          <button type="button" className="btn btn-link" onClick={() => dismiss(t.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
