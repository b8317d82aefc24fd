import { describe, expect, it } from 'vitest';
import { webAppCsp } from '../../server/src/http/web-app.js';

/** The wallet hands Razorpay payments to Razorpay Checkout in the page: its origins are allowed only when Razorpay is configured. */
const directives = (csp: string) => new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));

describe('web app CSP and Razorpay Checkout', () => {
  it('allows no third-party script, frame or connection without Razorpay', () => {
    const d = directives(webAppCsp(['wss://janus.example:8989/ws']));
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
    expect(d.get('connect-src')).toEqual(["'self'", 'wss://janus.example:8989']);
    // No frame-src: default-src 'self' governs frames.
    expect(d.has('frame-src')).toBe(false);
    expect(d.get('default-src')).toEqual(["'self'"]);
  });

  it("adds Razorpay Checkout's script, frame, telemetry and image origins when Razorpay is on", () => {
    const d = directives(webAppCsp(['wss://janus.example:8989/ws'], { razorpay: true }));
    expect(d.get('script-src')).toEqual(["'self'", 'https://checkout.razorpay.com', 'https://cdn.razorpay.com']);
    expect(d.get('frame-src')).toEqual(['https://api.razorpay.com']);
    expect(d.get('connect-src')).toEqual(["'self'", 'wss://janus.example:8989', 'https://lumberjack.razorpay.com', 'https://lumberjack-metrics.razorpay.com']);
    expect(d.get('img-src')).toEqual(["'self'", 'data:', 'blob:', 'https://cdn.razorpay.com']);
    // Everything else stays as strict as without it.
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'self'"]);
  });
});
