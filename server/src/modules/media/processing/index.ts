/**
 * Media processing: pure functions over files, no database, no storage.
 * The media module's job calls them on a downloaded upload and stores what
 * they write. See detect.ts for the type and polyglot rule, image.ts and
 * video.ts for the outputs, limits.ts for the limits and their defaults.
 */
export { detectType, classify, sniffType, ACCEPTED, type DetectedType, type MediaKind } from './detect.js';
export { processImage, IMAGE_SIZES, PREVIEW_LONG_SIDE, type ImageResult } from './image.js';
export { processVideo, VIDEO_ENCODING, videoEncodeArgs, outputSize, type VideoResult } from './video.js';
export { MediaRejected, MediaTimeout, isMediaRejected, type MediaRejectReason } from './errors.js';
export { DEFAULT_IMAGE_LIMITS, DEFAULT_VIDEO_LIMITS, type MediaLimits, type ProcessOptions } from './limits.js';
export type { OutputFile } from './outputs.js';
