import { avatarGradient, initials } from '../lib/profile-format.js';
import '../pages/discover-profile.css';

/** The placeholder picture until there are photos: initials on a gradient chosen from the user id. Decorative: the name is always written beside it. */
export function ProfileAvatar({ name, seed, size = 'md', className = '' }: { name: string; seed: string; size?: 'sm' | 'md' | 'lg' | 'xl'; className?: string }) {
  return (
    <span className={`avatar avatar-${size} ${className}`.trim()} style={{ backgroundImage: avatarGradient(seed) }} aria-hidden="true">
      {initials(name)}
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
