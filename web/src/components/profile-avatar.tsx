import type { MediaView } from '../../../shared/media.js';
import { avatarGradient, initials } from '../lib/profile-format.js';
import { AvatarPhoto } from './media.js';
import '../pages/discover-profile.css';

const AVATAR_PX = { sm: 40, md: 64, lg: 96, xl: 132 } as const;

/**
 * The person's photo (their avatar, else their first photo) in a circle; until
 * there is one, initials on a gradient chosen from the user id. Decorative:
 * the name is always written beside it.
 */
export function ProfileAvatar({
  name,
  seed,
  photo,
  size = 'md',
  className = '',
}: {
  name: string;
  seed: string;
  photo?: MediaView | null;
  size?: keyof typeof AVATAR_PX;
  className?: string;
}) {
  return (
    <span className={`avatar avatar-${size} ${className}`.trim()} style={{ backgroundImage: avatarGradient(seed) }} aria-hidden="true">
      {initials(name)}
      {photo && <AvatarPhoto media={photo} px={AVATAR_PX[size]} />}
    </span>
  );
}

/** Interests as small rounded tags. */
export function ProfileChips({ items, label }: { items: string[]; label: string }) {
  if (items.length === 0) return null;
  return (
    <ul className="chips" aria-label={label}>
      {items.map((t) => (
        <li key={t} className="chip">
          {t}
        </li>
      ))}
    </ul>
  );
}
