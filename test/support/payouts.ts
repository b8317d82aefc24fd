import { randomUUID } from 'node:crypto';
import { http, newUser, verifyEmail } from './client.js';
import { jpegWithGps, processed, uploadAndConfirm } from './media.js';
import { enrolTwoFactor } from './two-factor.js';

type User = Awaited<ReturnType<typeof newUser>>;

/**
 * A creator verified the only way creators are (issue #13): two verification photos uploaded and
 * processed, the submission sent, an admin's approval; and their email confirmed from the mailed link
 * (payout requests need it). The node needs media storage (MEDIA_STORAGE=local) and no SMTP_URL.
 * Their session turned two-factor sign-in on, as moving money out asks (`secret` makes later codes),
 * unless `twoFactor: false`.
 */
export async function verifiedCreator(
  url: string,
  adminToken: string,
  over: Partial<Parameters<typeof newUser>[1]> = {},
  opts: { confirmEmail?: boolean; twoFactor?: boolean } = {},
): Promise<User & { secret: string | null }> {
  const user = await newUser(url, { role: 'creator', birthdate: '1990-04-02', ...over });
  if (opts.confirmEmail ?? true) await verifyEmail(url, user.user.email);
  const photo = async () => {
    const { id } = await uploadAndConfirm(url, user.accessToken, 'verification_document', 'image/jpeg', await jpegWithGps(320, 240));
    const p = await processed(url, user.accessToken, id);
    if (p.state !== 'ready') throw new Error(`verification photo ${id} is ${p.state}`);
    return id;
  };
  const [documentMediaId, selfieMediaId] = [await photo(), await photo()];
  const body = { id: randomUUID(), legalName: 'Ada Example', dateOfBirth: '1990-04-02', country: 'DE', documentMediaId, selfieMediaId };
  const sub = await http(url, 'POST', '/api/verification', { token: user.accessToken, body });
  if (sub.status !== 201) throw new Error(`verification submit: ${sub.status} ${JSON.stringify(sub.body)}`);
  const ok = await http(url, 'POST', `/api/admin/verifications/${body.id}/approve`, { token: adminToken });
  if (ok.status !== 200) throw new Error(`verification approve: ${ok.status} ${JSON.stringify(ok.body)}`);
  if (opts.twoFactor === false) return { ...user, secret: null };
  const { secret } = await enrolTwoFactor(url, user.accessToken);
  return { ...user, secret };
}
