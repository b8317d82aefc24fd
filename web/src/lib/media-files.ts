import { KIND_TYPES, isVideoType, type MediaKind, type MediaView, type RejectReason } from '../../../shared/media.js';

/**
 * Files the person picks, before and after they are sent, without React or
 * the DOM (unit tested in node): a first look at the type, sizes and progress
 * in words, and why processing refused one.
 */

export interface PickedFile {
  name: string;
  type: string;
  size: number;
}

const TYPE_WORDS: Record<string, string> = {
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/webp': 'WebP',
  'image/gif': 'GIF',
  'image/avif': 'AVIF',
  'video/mp4': 'MP4',
  'video/quicktime': 'MOV',
  'video/webm': 'WebM',
};

/** "JPEG, PNG, WebP, GIF or AVIF": the types a kind takes, in words. */
export function allowedTypesText(kind: MediaKind): string {
  const words = KIND_TYPES[kind].map((t) => TYPE_WORDS[t] ?? t);
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : (words[0] ?? '');
}

/** The `accept` of a file input for a kind (the server still checks the bytes). */
export function acceptOf(kind: MediaKind): string {
  return KIND_TYPES[kind].join(',');
}

/**
 * A first look at a picked file, for a friendly word before anything is
 * sent: its type (as the browser names it) must be one the kind takes, and it
 * must not be empty. The size limits are the server's (configurable per
 * deployment); it checks the declared size when the upload is created, before
 * any byte moves, and its PAYLOAD_TOO_LARGE carries the limit (uploadErrorText).
 * The bytes are checked again after the upload: the server decides.
 */
export function checkFile(kind: MediaKind, file: PickedFile): string | null {
  const what = isVideoType(file.type) ? 'video' : 'photo';
  if (!KIND_TYPES[kind].includes(file.type)) {
    const typed = file.type ? TYPE_WORDS[file.type] ?? file.type : 'this kind of file';
    return `${file.name || 'That file'} cannot be used here: ${typed} is not supported. Choose a ${allowedTypesText(kind)} file.`;
  }
  if (file.size === 0) return `${file.name || `That ${what}`} is empty. Choose another file.`;
  return null;
}

/** "820 KB", "12.5 MB". */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 ** 2) return `${Math.round(n / 1024)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(n < 10 * 1024 ** 2 ? 1 : 0)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

/** "42%": how much of an upload has gone. */
export function percentText(loaded: number, total: number): string {
  if (total <= 0) return '0%';
  return `${Math.min(100, Math.floor((loaded / total) * 100))}%`;
}

// --- Refusals in words ---------------------------------------------------------

const REJECT_WORDS: Record<RejectReason, string> = {
  unsupported_type: 'The file is not a photo or video we can use, whatever its name says.',
  empty: 'The file is empty.',
  too_large: 'The file is larger than it said it was.',
  pixel_limit: 'The picture has too many pixels. Use a smaller version.',
  truncated: 'The file is incomplete (it may not have finished copying). Try the original.',
  no_video_stream: 'The file has no video in it.',
  too_long: 'The video is too long. Trim it and try again.',
  corrupt: 'The file is damaged and cannot be read.',
  processing_failed: 'We could not process this file. Try again, or try another one.',
  moderation: 'It was not approved by our moderators.',
};

/**
 * Why an item was refused, for its owner: a moderation refusal says what was seen when moderation named it
 * (nudity is refused only where strangers see it without asking: profile photos, avatars, covers).
 */
export function refusalText(m: Pick<MediaView, 'rejectReason' | 'moderation'>): string {
  const seen = m.rejectReason === 'moderation' ? (m.moderation?.reason?.split(',') ?? []) : [];
  if (seen.includes('nudity')) return 'Nudity is not allowed in profile photos. Choose another photo.';
  return rejectReasonText(m.rejectReason);
}

/** Why processing refused an item, in words (a reason this client does not know yet is not hidden). */
export function rejectReasonText(reason: RejectReason | string | null | undefined): string {
  if (!reason) return 'It could not be used.';
  return REJECT_WORDS[reason as RejectReason] ?? `It could not be used (${reason}).`;
}
