/**
 * Where a hosted checkout (Stripe Checkout) sends the browser back to: the
 * web app's /wallet, with the payment's id. The web app's address is
 * PUBLIC_WEB_URL when set. Otherwise it is the origin the checkout request
 * came from, when that is this server's own (the app served by this node or
 * by nginx in front of it) or one CORS_ORIGINS allows (`npm run dev`'s Vite),
 * and PUBLIC_URL for any other request (an API client sends no Origin).
 */
export interface WebAppAddress {
  /** PUBLIC_WEB_URL. */
  publicWebUrl?: string;
  /** CORS_ORIGINS. */
  allowedOrigins: string[];
  /** PUBLIC_URL. */
  publicUrl: string;
}

/** The checkout request as its route saw it: its Origin header, and this server's own origin as that request reached it. */
export interface RequestOrigin {
  origin?: string;
  self?: string;
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

export function webAppBase(web: WebAppAddress, from: RequestOrigin): string {
  if (web.publicWebUrl) return web.publicWebUrl.replace(/\/+$/, '');
  const origin = originOf(from.origin);
  if (origin && (origin === originOf(from.self) || web.allowedOrigins.includes(origin))) return origin;
  return web.publicUrl.replace(/\/+$/, '');
}

export function walletReturnUrls(base: string, paymentId: string): { success: string; cancel: string } {
  const wallet = `${base}/wallet?payment=${encodeURIComponent(paymentId)}`;
  return { success: wallet, cancel: `${wallet}&checkout=cancelled` };
}
