import * as OTPAuth from 'otpauth';

/** The authenticator app's side of TOTP, played by otpauth itself (the library the server uses). */
export const totp = (secret: string) => new OTPAuth.TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: OTPAuth.Secret.fromBase32(secret) });

/** A code of another 30-second step than the current one (so it is new to the server, which takes each step's code once). */
export const codeAt = (secret: string, stepsFromNow: number) => totp(secret).generate({ timestamp: Date.now() + stepsFromNow * 30_000 });

/**
 * Turns two-factor sign-in on for the account behind `accessToken`, as a person does in Settings:
 * setup, then a code from the app. The session that enrols has proved its second factor (what admin
 * routes and payouts ask for). Returns the secret, to make later codes with.
 */
export async function enrolTwoFactor(baseUrl: string, accessToken: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const post = async (path: string, body?: object) => {
    const res = await fetch(`${baseUrl}/api/auth/2fa/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as any;
    if (res.status !== 200) throw new Error(`2fa ${path} failed: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const { setup } = await post('setup');
  const { recoveryCodes } = await post('enable', { code: totp(setup.secret).generate() });
  return { secret: setup.secret, recoveryCodes };
}
