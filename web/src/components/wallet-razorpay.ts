import type { razorpayOptions } from './wallet-model.js';

/**
 * Razorpay Checkout (their standard web integration): checkout.js, loaded
 * only when someone pays through Razorpay, opens Razorpay's payment window
 * for the order the server created. The window's success callback is not
 * proof of payment; Pairly credits the wallet when Razorpay's signed webhook
 * says the payment was captured. The server's CSP allows these origins only
 * when Razorpay is configured (server/src/http/web-app.ts).
 */
const CHECKOUT_JS = 'https://checkout.razorpay.com/v1/checkout.js';

interface RazorpayInstance {
  open(): void;
  on(event: 'payment.failed', handler: (response: { error?: { description?: string } }) => void): void;
}
type RazorpayConstructor = new (options: Record<string, unknown>) => RazorpayInstance;

let loading: Promise<RazorpayConstructor> | null = null;

function loadCheckoutJs(): Promise<RazorpayConstructor> {
  const existing = (window as unknown as { Razorpay?: RazorpayConstructor }).Razorpay;
  if (existing) return Promise.resolve(existing);
  loading ??= new Promise<RazorpayConstructor>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = CHECKOUT_JS;
    script.async = true;
    script.onload = () => {
      const ctor = (window as unknown as { Razorpay?: RazorpayConstructor }).Razorpay;
      if (ctor) resolve(ctor);
      else reject(new Error('Razorpay Checkout did not load'));
    };
    script.onerror = () => reject(new Error('Razorpay Checkout could not be loaded'));
    document.head.appendChild(script);
  }).catch((err: unknown) => {
    // A later attempt loads it again (the network may be back).
    loading = null;
    throw err;
  });
  return loading;
}

export interface RazorpayCallbacks {
  /** Razorpay says the person paid; the webhook has yet to confirm it. */
  paid: () => void;
  /** One attempt failed; Razorpay's window stays open for another. */
  attemptFailed: (reason: string | undefined) => void;
  /** The person closed the window without paying. */
  dismissed: () => void;
}

export async function openRazorpay(options: ReturnType<typeof razorpayOptions>, cb: RazorpayCallbacks): Promise<void> {
  const Razorpay = await loadCheckoutJs();
  const rzp = new Razorpay({ ...options, handler: () => cb.paid(), modal: { ondismiss: () => cb.dismissed() } });
  rzp.on('payment.failed', (response) => cb.attemptFailed(response.error?.description));
  rzp.open();
}
