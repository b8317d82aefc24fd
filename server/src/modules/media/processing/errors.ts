/**
 * Why an upload was refused. Each is permanent for that file: retrying the
 * same bytes gives the same answer, so a job that sees one marks the media
 * rejected (with the reason) instead of retrying.
 *
 * - `unsupported_type`: the bytes are not one of the accepted types, the
 *   decoder does not agree with what the bytes claim, or the file is a
 *   polyglot (see detect.ts for the rule).
 * - `empty`: zero bytes (or not a regular file).
 * - `too_large`: more bytes than `maxBytes`.
 * - `pixel_limit`: more pixels (width × height, as the header claims) than `maxPixels`.
 * - `truncated`: the file ends before its own structure does.
 * - `no_video_stream`: a video container with no video in it (audio only, or only a cover picture).
 * - `too_long`: longer than `maxVideoSeconds`.
 * - `corrupt`: the decoder failed on it for any other reason.
 */
export type MediaRejectReason =
  | 'unsupported_type'
  | 'empty'
  | 'too_large'
  | 'pixel_limit'
  | 'truncated'
  | 'no_video_stream'
  | 'too_long'
  | 'corrupt';

export class MediaRejected extends Error {
  constructor(
    readonly reason: MediaRejectReason,
    /** For logs, not for users: what exactly was wrong (decoder message, offsets). */
    readonly detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'MediaRejected';
  }
}

/**
 * Processing ran past `timeoutMs` and its child processes were killed. Not a
 * MediaRejected: a busy machine can cause it as well as a hostile file, so a
 * job retries it (and rejects the media once its attempts run out).
 */
export class MediaTimeout extends Error {
  constructor(
    readonly step: string,
    readonly timeoutMs: number,
  ) {
    super(`${step} did not finish within ${timeoutMs} ms`);
    this.name = 'MediaTimeout';
  }
}

export const isMediaRejected = (err: unknown): err is MediaRejected => err instanceof MediaRejected;
