import type { PresenceStatus } from '../../../shared/chat.js';
import { avatarHue, initials } from '../lib/chat-format.js';

/** Initials on a colour of the person's own, with a presence dot when their presence is shared. */
export function ChatAvatar({ id, name, presence, size = 'md' }: { id: string; name: string; presence?: PresenceStatus | null; size?: 'md' | 'lg' }) {
  const hue = avatarHue(id);
  return (
    <span className={`chat-avatar chat-avatar-${size}`} aria-hidden="true" style={{ background: `linear-gradient(135deg, hsl(${hue} 62% 42%), hsl(${(hue + 40) % 360} 58% 34%))` }}>
      {initials(name)}
      {presence && presence !== 'offline' && <span className={`chat-dot chat-dot-${presence}`} />}
    </span>
  );
}
