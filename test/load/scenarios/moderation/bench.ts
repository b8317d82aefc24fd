import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageClassifier } from '../../../../server/src/modules/moderation/image.classifier.js';
import { contactDetails, profanity, repeatKey } from '../../../../server/src/modules/moderation/text.check.js';
import { connect, newUser, type ClientSocket } from '../../../support/client.js';
import { ROOT, startInProcess } from '../../../support/pairly.js';
import { numberFlag, parseCli } from '../../lib/args.js';
import { Cleanups } from '../../lib/cleanups.js';
import { CORES, load1 } from '../../lib/machine.js';
import { LatencyRecorder, type LatencySummary } from '../../lib/recorder.js';
import { benchData, BENCH_SERVER_ENV } from '../../lib/server-env.js';

const USAGE = `npm run bench -- moderation [--images N] [--texts N] [--messages N] [--rounds N]

  --images N     classifications per fixture after the first load (default 20)
  --texts N      passes over the sample texts for the text-check timing (default 2000)
  --messages N   chat:send acks per round and per side (default 200)
  --rounds N     interleaved on/off rounds of chat:send (default 5)`;

/** What people write: short, long, with a name, a question, an emoji; one with profanity, none with contact details. */
const SAMPLES = [
  'hey',
  'how are you doing today?',
  'haha that is so true 😂',
  'I just got back from a hike in the hills, the view was incredible',
  'what kind of music are you into? I have been listening to a lot of jazz lately',
  'that sounds like a fucking great plan honestly',
  'are you free on saturday evening for a coffee near the station?',
  'ok',
];
const LONGEST = `${'lorem ipsum dolor sit amet '.repeat(148)}end`.slice(0, 4000);

const ms = (s: LatencySummary) => `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (n=${s.count})`;

export async function benchModeration(argv: string[]): Promise<number> {
  const { values } = parseCli(USAGE, { args: argv, options: { images: { type: 'string' }, texts: { type: 'string' }, messages: { type: 'string' }, rounds: { type: 'string' }, help: { type: 'boolean' } } });
  const images = numberFlag('images', values.images ?? '20', 1, 10_000, USAGE);
  const texts = numberFlag('texts', values.texts ?? '2000', 1, 1_000_000, USAGE);
  const messages = numberFlag('messages', values.messages ?? '200', 10, 100_000, USAGE);
  const rounds = numberFlag('rounds', values.rounds ?? '5', 1, 100, USAGE);
  console.log(`machine: ${CORES} cores, load ${load1().toFixed(2)} at start, node ${process.version}`);
  await imageBench(images);
  textBench(texts);
  await chatBench(messages, rounds);
  return 0;
}

async function imageBench(n: number) {
  const classifier = new ImageClassifier();
  const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/moderation', name));
  // What processing hands the classifier: the 640 px WebP variant; and a 160×120 snapshot as the web sends it.
  const inputs = {
    'photo (640 px WebP)': await sharp(fixture('clean.jpg')).resize(640, 640, { fit: 'inside' }).webp().toBuffer(),
    'nude fixture (256 px JPEG)': fixture('nude.jpg'),
    'snapshot (160×120 JPEG)': await sharp(fixture('nude.jpg')).resize(160, 120).jpeg({ quality: 70 }).toBuffer(),
  };
  const t0 = performance.now();
  await classifier.classify(inputs['photo (640 px WebP)']);
  console.log(`\nimage classifier: first image (loads the model) ${(performance.now() - t0).toFixed(0)} ms`);
  for (const [name, bytes] of Object.entries(inputs)) {
    const rec = new LatencyRecorder();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await classifier.classify(bytes);
      rec.record(performance.now() - t);
    }
    console.log(`  ${name}: ${ms(rec.summary())}`);
  }
}

function textBench(passes: number) {
  const check = (t: string) => {
    profanity(t);
    contactDetails(t);
    repeatKey(t);
  };
  const perText = (list: string[], reps: number) => {
    const rec = new LatencyRecorder();
    for (let i = 0; i < reps; i++) {
      for (const t of list) {
        const s = performance.now();
        check(t);
        rec.record((performance.now() - s) * 1000);
      }
    }
    return rec.summary();
  };
  perText(SAMPLES, 200); // warm the regexes
  const typical = perText(SAMPLES, passes);
  const longest = perText([LONGEST], Math.max(10, Math.floor(passes / 20)));
  const us = (s: LatencySummary) => `p50 ${s.p50.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs (n=${s.count})`;
  console.log(`\ntext checks (profanity + contact details + repeat key), in process:\n  typical messages: ${us(typical)}\n  4,000 characters: ${us(longest)}`);
}

/**
 * chat:send acks between two users, one at a time, with the moderation step on, then replaced by the identity
 * (off), in interleaved rounds so drift on a shared machine hits both sides alike. Each message is distinct
 * (a counter) and most are long enough for the repeat counter: the Redis round trip is in what is measured.
 */
async function chatBench(perRound: number, rounds: number) {
  const cleanups = new Cleanups((m) => console.log(m), 30_000);
  try {
    const data = await benchData('cluster', cleanups, 'bench-moderation');
    const node = await startInProcess({ ...BENCH_SERVER_ENV, ...data.env, CHAT_MESSAGES_PER_10S: '1000000', CHAT_FLOOD_PER_5S: '1000000', SOCKET_EVENTS_PER_SECOND: '10000', MODERATION_REPEAT_LIMIT: '10000', LOG_LEVEL: 'silent' });
    cleanups.add(() => node.stop());
    const moderation = node.pairly.services.moderation;
    const on = moderation.message.bind(moderation);
    const off = async (m: { body: string }) => m.body;
    const [a, b] = [await newUser(node.url), await newUser(node.url)];
    const sockets: ClientSocket[] = [await connect(node.url, a.accessToken), await connect(node.url, b.accessToken)];
    cleanups.add(() => sockets.forEach((s) => s.close()));
    const [sa, sb] = sockets as [ClientSocket, ClientSocket];
    // The first message opens the conversation; b's reply makes them no strangers (as most chats are).
    const first = (await (sa as any).timeout(10_000).emitWithAck('chat:send', { clientId: randomUUID(), toUserId: b.user.id, body: 'hello' })) as any;
    const conversationId = first.message.conversationId as string;
    await (sb as any).timeout(10_000).emitWithAck('chat:send', { clientId: randomUUID(), conversationId, body: 'hi!' });

    const recs = { on: new LatencyRecorder(), off: new LatencyRecorder() };
    let n = 0;
    const round = async (side: 'on' | 'off', record: boolean) => {
      moderation.message = side === 'on' ? on : (off as typeof on);
      for (let i = 0; i < perRound; i++) {
        const body = `${SAMPLES[i % SAMPLES.length]} #${n++}`;
        const t = performance.now();
        const res = (await (sa as any).timeout(10_000).emitWithAck('chat:send', { clientId: randomUUID(), conversationId, body })) as any;
        if (!res.ok) throw new Error(`chat:send failed: ${res.error.code} ${res.error.message}`);
        if (record) recs[side].record(performance.now() - t);
      }
    };
    await round('on', false);
    await round('off', false);
    for (let r = 0; r < rounds; r++) {
      await round(r % 2 ? 'off' : 'on', true);
      await round(r % 2 ? 'on' : 'off', true);
    }
    moderation.message = on;
    // The step alone, as chat:send calls it (same texts, the real Redis counter): what "on" adds to each ack.
    const step = new LatencyRecorder();
    for (let i = 0; i < perRound * rounds; i++) {
      const t = performance.now();
      await on({ senderId: a.user.id, conversationId, clientId: randomUUID(), body: `${SAMPLES[i % SAMPLES.length]} #${n++}`, stranger: async () => false });
      step.record(performance.now() - t);
    }
    const [sOn, sOff] = [recs.on.summary(), recs.off.summary()];
    console.log(`\nchat:send ack, one at a time, in-process node on local PostgreSQL and Redis (${rounds} interleaved rounds of ${perRound}):`);
    console.log(`  text moderation on:  ${ms(sOn)}`);
    console.log(`  text moderation off: ${ms(sOff)}`);
    console.log(`  difference: p50 ${(sOn.p50 - sOff.p50).toFixed(2)} ms, p99 ${(sOn.p99 - sOff.p99).toFixed(2)} ms`);
    console.log(`  the step alone (text checks + the repeat counter's Redis round trip): ${ms(step.summary())}; load ${load1().toFixed(2)} at the end`);
  } finally {
    await cleanups.run();
  }
}
