import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ffmpeg } from '../../../support/media-fixtures.js';

/**
 * The bench's inputs, made once and cached (the names carry every parameter,
 * so a change makes a new file):
 *
 * - a 12-megapixel photo: ffmpeg's testsrc2 pattern at 4000×3000 with
 *   temporal noise, as a JPEG at quality 90 with EXIF (camera, GPS): about
 *   the 3–5 MB a phone writes, rather than flat colour that compresses to
 *   nothing or pure noise that compresses not at all;
 * - a video: testsrc2 at 1920×1080, 30 fps, with light noise and a sine
 *   tone, H.264 High + AAC in MP4 with moov after mdat (as phones write it).
 */
export async function benchPhoto(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'photo-4000x3000-q90.jpg');
  if (existsSync(path)) return path;
  const raw = join(dir, 'photo-4000x3000.ffmpeg.jpg');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=4000x3000:rate=1', '-vf', 'noise=alls=12:allf=t', '-frames:v', '1', '-q:v', '2', raw]);
  await sharp(raw)
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Make: 'PairlyBench', Model: '12MP' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 29/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 40/1' },
    })
    .toFile(`${path}.part`);
  renameSync(`${path}.part`, path);
  return path;
}

export async function benchVideo(dir: string, seconds: number, log: (m: string) => void): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `video-1920x1080-30fps-${seconds}s.mp4`);
  if (existsSync(path)) return path;
  log(`making the ${seconds} s 1080p test video once (cached in ${dir}; takes a minute or two)`);
  const t0 = performance.now();
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds),
    '-vf', 'noise=alls=5:allf=t',
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', '12M', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-ac', '2',
    '-f', 'mp4', `${path}.part`,
  ]);
  renameSync(`${path}.part`, path);
  log(`  made in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${(statSync(path).size / 1e6).toFixed(1)} MB`);
  return path;
}
