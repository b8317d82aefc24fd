import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** One file processing wrote. */
export interface OutputFile {
  /** '160' | '640' | '1280' (image sizes), 'preview', 'video', 'poster'. */
  variant: string;
  /** File name inside outDir (fixed names: `640.webp`, `video.mp4`, ...). */
  name: string;
  /** Absolute or caller-relative path: join(outDir, name). */
  path: string;
  mime: 'image/webp' | 'video/mp4';
  width: number;
  height: number;
  bytes: number;
}

/**
 * The files one call writes into outDir, so that a failure part-way removes
 * exactly those (and nothing else the caller keeps there).
 */
export class OutputSet {
  private readonly claimed = new Set<string>();
  private readonly written: OutputFile[] = [];

  constructor(private readonly dir: string) {}

  /** The path to write `name` to; removed by discard() whether or not it was written. */
  claim(name: string): string {
    const path = join(this.dir, name);
    this.claimed.add(path);
    return path;
  }

  record(f: Omit<OutputFile, 'path'>): OutputFile {
    const file = { ...f, path: join(this.dir, f.name) };
    this.written.push(file);
    return file;
  }

  files(): OutputFile[] {
    return [...this.written];
  }

  async discard(): Promise<void> {
    await Promise.all([...this.claimed].map((p) => rm(p, { force: true })));
  }
}
