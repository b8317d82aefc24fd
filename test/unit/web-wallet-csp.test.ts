import { describe, expect, it } from 'vitest';
import { webAppCsp } from '../../server/src/http/web-app.js';
import { s3Origins } from '../../server/src/modules/media/storage.s3.js';

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

  it('lets photos and videos load from, and uploads go to, the S3 bucket when media is stored there', () => {
    const minio = s3Origins({ driver: 's3', bucket: 'pairly-media', endpoint: 'http://localhost:9000', region: 'us-east-1', forcePathStyle: true });
    expect(minio).toEqual(['http://localhost:9000']);
    const d = directives(webAppCsp([], { media: minio }));
    expect(d.get('img-src')).toEqual(["'self'", 'data:', 'blob:', 'http://localhost:9000']);
    expect(d.get('media-src')).toEqual(["'self'", 'blob:', 'http://localhost:9000']);
    expect(d.get('connect-src')).toEqual(["'self'", 'http://localhost:9000']);
    // Virtual-hosted style: the bucket is part of the host; AWS without an endpoint: its regional hosts.
    expect(s3Origins({ driver: 's3', bucket: 'b1', endpoint: 'https://r2.example.com', region: 'auto', forcePathStyle: false })).toEqual(['https://b1.r2.example.com']);
    expect(s3Origins({ driver: 's3', bucket: 'b1', region: 'eu-west-1', forcePathStyle: false })).toEqual(['https://b1.s3.eu-west-1.amazonaws.com', 'https://s3.eu-west-1.amazonaws.com']);
  });
});
