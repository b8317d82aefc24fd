/**
 * Starting a call from any page (a profile, a conversation) without
 * importing the call layer: the page announces the intent, the call layer
 * (components/call-layer.tsx, mounted once for a signed-in person) places the
 * call with `call:invite` at the price shown on the button.
 */
export interface CallIntent {
  toUserId: string;
  displayName: string;
  video: boolean;
  /** The per-minute price the button showed (0: free); sent as expectedPrice. */
  pricePerMinute: number;
}

const EVENT = 'pairly:call';

export function requestCall(intent: CallIntent): void {
  window.dispatchEvent(new CustomEvent<CallIntent>(EVENT, { detail: intent }));
}

export function onCallRequest(handler: (intent: CallIntent) => void): () => void {
  const listener = (e: Event) => handler((e as CustomEvent<CallIntent>).detail);
  window.addEventListener(EVENT, listener);
  return () => window.removeEventListener(EVENT, listener);
}
