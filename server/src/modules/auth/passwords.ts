import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../../errors.js';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/**
 * argon2id (the library's default algorithm; its enum is a const enum that
 * isolated modules cannot import) with OWASP's minimum parameters by default
 * (19 MiB, t=2, p=1).
 */
export function createPasswordHasher(memoryKib: number): PasswordHasher {
  const opts = { memoryCost: memoryKib, timeCost: 2, parallelism: 1 };
  return {
    hash: (password) => hash(password, opts),
    verify: async (h, password) => {
      try {
        return await verify(h, password);
      } catch {
        return false;
      }
    },
  };
}

const COMMON = new Set([
  'password123', 'password1234', '1234567890', '12345678910', 'qwertyuiop', 'qwerty12345', 'iloveyou123',
  'letmein123', 'welcome123', 'admin12345', 'passw0rd123', 'abc1234567', 'football123', 'baseball123',
]);

/**
 * Strength rule: 10 to 256 characters, at least one letter and one
 * non-letter, not a well-known password, and not built on the email's name.
 */
export function assertStrongPassword(password: string, email: string): void {
  const problems: string[] = [];
  if (password.length < 10) problems.push('at least 10 characters');
  if (!/\p{L}/u.test(password) || !/[^\p{L}]/u.test(password)) problems.push('letters and at least one digit or symbol');
  if (COMMON.has(password.toLowerCase())) problems.push('not a common password');
  const local = email.split('@')[0] ?? '';
  if (local.length >= 4 && password.toLowerCase().includes(local.toLowerCase())) problems.push('not containing your email');
  if (problems.length) throw new AppError('WEAK_PASSWORD', `password must have ${problems.join('; ')}`);
}
