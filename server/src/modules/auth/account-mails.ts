import type { MailContent } from '../mail/compose.js';

type Link = (path: string, query?: Record<string, string>) => string;

const IGNORE = 'If this was not you, you can ignore this mail.';

/** The words of every account mail, in one place. */
export const accountMails = {
  verify: (link: Link, token: string, hours: number): MailContent => ({
    subject: 'Confirm your email for Pairly',
    paragraphs: ['Welcome to Pairly. Please confirm that this address is yours.', `The link works once, for ${hours} hours.`, IGNORE],
    links: [{ label: 'Confirm my email', url: link('/verify-email', { token }) }],
  }),
  signupTaken: (link: Link): MailContent => ({
    subject: 'Someone tried to sign up to Pairly with your address',
    paragraphs: [
      'Someone (perhaps you) tried to create a Pairly account with this address, which already has one. No new account was made.',
      'If it was you, log in instead, or reset your password if you forgot it.',
      IGNORE,
    ],
    links: [{ label: 'Reset my password', url: link('/forgot-password') }],
  }),
  reset: (link: Link, token: string, minutes: number): MailContent => ({
    subject: 'Reset your Pairly password',
    paragraphs: [
      'Someone (perhaps you) asked to reset the password of the Pairly account with this address.',
      `The link works once, for ${minutes} minutes. Resetting logs out every device.`,
      IGNORE,
    ],
    links: [{ label: 'Choose a new password', url: link('/reset-password', { token }) }],
  }),
  resetUnknown: (): MailContent => ({
    subject: 'Password reset requested for Pairly',
    paragraphs: [
      'Someone (perhaps you) asked to reset a Pairly password for this address, but no account uses it.',
      'If you have an account, you may have signed up with another address.',
      IGNORE,
    ],
  }),
  passwordChanged: (link: Link): MailContent => ({
    subject: 'Your Pairly password was changed',
    paragraphs: ['The password of your Pairly account was just changed, and other devices were logged out.', 'If this was not you, reset your password now.'],
    links: [{ label: 'Reset my password', url: link('/forgot-password') }],
  }),
  emailChangeNew: (link: Link, token: string, hours: number): MailContent => ({
    subject: 'Confirm your new email for Pairly',
    paragraphs: [
      'Your Pairly account asked to move to this address. Confirm it is yours.',
      `The change also needs a confirmation from your current address. The link works once, for ${hours} hours.`,
      IGNORE,
    ],
    links: [{ label: 'Confirm this address', url: link('/confirm-email', { token }) }],
  }),
  emailChangeOld: (link: Link, token: string, newEmail: string, hours: number): MailContent => ({
    subject: 'Your Pairly account is moving to another email',
    paragraphs: [
      `Someone signed in to your Pairly account asked to change its address to ${newEmail}.`,
      `Nothing changes until both addresses confirm. Confirm if it was you; cancel if it was not (and change your password). The links work once, for ${hours} hours.`,
    ],
    links: [
      { label: 'Confirm the change', url: link('/confirm-email', { token }) },
      { label: 'Cancel the change', url: link('/confirm-email', { token, cancel: '1' }) },
    ],
  }),
  newDevice: (link: Link, device: string, place: string): MailContent => ({
    subject: 'New sign-in to your Pairly account',
    paragraphs: [
      `Your Pairly account was just signed in to from a device it had not seen: ${device}, network ${place}.`,
      'If this was you, nothing to do. If not, log that session out in Settings and change your password.',
    ],
    links: [{ label: 'See my sessions', url: link('/settings') }],
  }),
  linkIdentity: (link: Link, token: string, provider: string, minutes: number): MailContent => ({
    subject: `Link ${provider} sign-in to your Pairly account`,
    paragraphs: [
      `Someone (perhaps you) signed in with ${provider} using this address, which already has a Pairly account.`,
      `Open the link to let ${provider} sign in to this account from now on. It works once, for ${minutes} minutes.`,
      IGNORE,
    ],
    links: [{ label: `Link ${provider}`, url: link('/oidc/link', { token }) }],
  }),
};
