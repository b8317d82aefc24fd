import type { PresenceStatus } from '../../../shared/chat.js';
import type { MediaView } from '../../../shared/media.js';
import { avatarHue, initials } from '../lib/chat-format.js';
import { AvatarPhoto } from './media.js';

/** The person's photo, else their initials on a colour of their own; with a presence dot when their presence is shared. */
export function ChatAvatar({
  id,
  name,
  photo,
  presence,
  size = 'md',
}: {
  id: string;
  name: string;
  photo?: MediaView | null;
  presence?: PresenceStatus | null;
  size?: 'md' | 'lg';
}) {
  const hue = avatarHue(id);
  return (
    <span className={`chat-avatar chat-avatar-${size}`} aria-hidden="true" style={{ background: `linear-gradient(135deg, hsl(${hue} 62% 42%), hsl(${(hue + 40) % 360} 58% 34%))` }}>
      {initials(name)}
      {photo && <AvatarPhoto media={photo} px={size === 'lg' ? 72 : 48} />}
      {presence && presence !== 'offline' && <span className={`chat-dot chat-dot-${presence}`} />}
    </span>
  );
}
