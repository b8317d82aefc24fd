import { sharp } from '../../sharp.js';

/** nsfwjs's five classes, each a probability in [0, 1]; they sum to about 1. */
export const IMAGE_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type ImageScores = Record<(typeof IMAGE_CLASSES)[number], number>;

/** The model's input side: MobileNetV2 takes 224×224 RGB. */
const SIDE = 224;

type Model = { classify(img: unknown, topk?: number): Promise<Array<{ className: string; probability: number }>> };
type Tf = typeof import('@tensorflow/tfjs');

/**
 * The on-machine image classifier: nsfwjs's MobileNetV2, whose weights ship
 * inside the npm package (nothing is fetched at run time), on tfjs's wasm
 * backend (about 15 times faster than its pure-JS CPU one here). Loaded once,
 * lazily, on the first image: only the process that moderates media (the
 * workers, or the embedded server) pays its ~0.5 s and ~30 MB. Images run one
 * at a time: the model is CPU-bound, and two at once only lengthen both.
 */
export class ImageClassifier {
  private loading: Promise<{ tf: Tf; model: Model }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** Scores of an encoded image (any type sharp decodes), or 'undecodable' when its bytes are not a readable image. */
  classify(bytes: Buffer): Promise<ImageScores | 'undecodable'> {
    const run = this.queue.then(() => this.classifyNow(bytes));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async classifyNow(bytes: Buffer): Promise<ImageScores | 'undecodable'> {
    const pixels = await decode(bytes);
    if (!pixels) return 'undecodable';
    const { tf, model } = await this.model();
    const tensor = tf.tensor3d(pixels, [SIDE, SIDE, 3], 'int32');
    try {
      const predictions = await model.classify(tensor, IMAGE_CLASSES.length);
      const scores = Object.fromEntries(IMAGE_CLASSES.map((c) => [c, 0])) as ImageScores;
      for (const p of predictions) if (p.className in scores) scores[p.className as keyof ImageScores] = round(p.probability);
      return scores;
    } finally {
      tensor.dispose();
    }
  }

  private model() {
    this.loading ??= load().catch((err: unknown) => {
      this.loading = undefined; // a failed load is tried again with the next image
      throw err;
    });
    return this.loading;
  }
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

async function load(): Promise<{ tf: Tf; model: Model }> {
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  // The wasm backend's Emscripten glue adds process listeners that re-throw every uncaught exception and
  // unhandled rejection: one stray rejection anywhere would then end the server, which logs them instead
  // (main.ts). They are taken off again; the backend does not need them.
  const events: NodeJS.EventEmitter = process;
  const had = PROCESS_EVENTS.map((e) => events.listeners(e));
  await tf.setBackend('wasm');
  await tf.ready();
  PROCESS_EVENTS.forEach((e, i) => {
    for (const l of events.listeners(e)) if (!had[i]!.includes(l)) events.removeListener(e, l as (...args: unknown[]) => void);
  });
  const nsfwjs = await import('nsfwjs');
  // nsfwjs announces the model it loads on console.info; the logger is ours to write to, not its.
  const info = console.info;
  console.info = () => undefined;
  try {
    return { tf, model: (await nsfwjs.load('MobileNetV2')) as Model };
  } finally {
    console.info = info;
  }
}

/** RGB bytes at the model's size (first frame, alpha flattened), or undefined when sharp cannot read them. */
async function decode(bytes: Buffer): Promise<Uint8Array | undefined> {
  try {
    const raw = await sharp(bytes, { failOn: 'error', limitInputPixels: 50_000_000 })
      .resize(SIDE, SIDE, { fit: 'fill' })
      .flatten({ background: '#ffffff' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  } catch {
    return undefined;
  }
}

const round = (p: number) => Math.round(p * 10_000) / 10_000;
