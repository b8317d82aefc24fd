import { z } from 'zod';

/**
 * Moderation: what the moderate step decided about a user's text or image.
 * allow: shown; quarantine: shown to its owner only until an admin decides;
 * block: refused (a text is not stored, an image is withdrawn).
 */
export const VERDICTS = ['allow', 'quarantine', 'block'] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * Where content appears, which sets the policy. Images: `profile` (avatar, dating photos, cover: no nudity),
 * `creator_post` (behind the 18+ gate: nudity allowed), `attachment` (nudity allowed from creators, quarantined
 * from others), `random_snapshot` (no nudity: ends the session). Texts: `chat` and `post`/`comment` are masked,
 * `bio` refused.
 */
export const PLACES = ['profile', 'creator_post', 'attachment', 'random_snapshot', 'chat', 'post', 'comment', 'bio'] as const;
export type Place = (typeof PLACES)[number];

export const SUBJECT_KINDS = ['media', 'message', 'post', 'comment', 'bio', 'snapshot'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** Why: `nudity`, `suggestive`, `undecodable` (images); `profanity`, `contact_to_stranger`, `repeated` (texts). */
export type VerdictReason = 'nudity' | 'suggestive' | 'undecodable' | 'profanity' | 'contact_to_stranger' | 'repeated';

export interface VerdictView {
  id: string;
  subjectKind: SubjectKind;
  subjectId: string;
  userId: string;
  /** The user's display name, for the admin's queue. */
  userName: string | null;
  place: Place;
  verdict: Verdict;
  /** Images: the classifier's probabilities (Drawing, Hentai, Neutral, Porn, Sexy); texts: counts of what matched. */
  scores: Record<string, number>;
  reasons: VerdictReason[];
  createdAt: string;
  decision: 'allow' | 'remove' | null;
  decidedAt: string | null;
}

/** The oldest undecided first; deciding them moves the queue on. */
export const moderationQueueQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const moderationDecisionBody = z.strictObject({
  decision: z.enum(['allow', 'remove']),
});
export type ModerationDecisionBody = z.infer<typeof moderationDecisionBody>;

/**
 * A random video match's picture of the local camera, every few seconds: a small JPEG (base64, at most 44 KiB
 * decoded, so that the event fits SOCKET_MAX_PAYLOAD's default of 64,000 bytes; 160×120 is about 4 KiB).
 */
export const SNAPSHOT_MAX_BYTES = 44 * 1024;
export const matchSnapshotSchema = z.strictObject({
  sessionId: z.uuid(),
  image: z.base64().max(Math.ceil(SNAPSHOT_MAX_BYTES / 3) * 4),
});
export type MatchSnapshotPayload = z.infer<typeof matchSnapshotSchema>;
