import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Batcher, type Outcome } from '../../server/src/batcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

describe('Batcher', () => {
  it('answers requests that arrive within the window in one flush, each with its own outcome', async () => {
    const flushes: number[][] = [];
    const b = new Batcher<number, number>(
      async (items) => {
        flushes.push(items);
        return items.map((n) => (n === 3 ? { ok: false, error: new Error('three') } : ok(n * 10)));
      },
      { windowMs: 20 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => b.submit(n)));
    expect(flushes).toEqual([[1, 2, 3, 4]]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([10, 20, 'three', 40]);
  });

  it('sends a full batch at once, and a flush that throws fails only its own requests', async () => {
    const flushes: number[][] = [];
    const b = new Batcher<number, number>(
      async (items) => {
        flushes.push(items);
        if (items.includes(1)) throw new Error('down');
        return items.map(ok);
      },
      { windowMs: 10_000, maxItems: 2 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => b.submit(n)));
    expect(flushes).toEqual([[1, 2], [3, 4]]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
  });

  it('eager: with no flush running, the requests of one turn leave at its end, not after the window', async () => {
    const flushes: number[][] = [];
    const b = new Batcher<number, number>(
      async (items) => {
        flushes.push(items);
        return items.map(ok);
      },
      { windowMs: 10_000, eager: true },
    );
    const first = Promise.all([b.submit(1), b.submit(2)]);
    const won = await Promise.race([first.then(() => 'flushed'), sleep(500).then(() => 'window')]);
    expect(won).toBe('flushed');
    expect(flushes).toEqual([[1, 2]]);
  });

  it('eager: while a flush runs, requests wait for the window and go together', async () => {
    const flushes: number[][] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const b = new Batcher<number, number>(
      async (items) => {
        flushes.push(items);
        if (items.includes(1)) await held;
        return items.map(ok);
      },
      { windowMs: 40, eager: true },
    );
    const one = b.submit(1);
    await sleep(5); // 1's flush is running
    const two = b.submit(2);
    await sleep(5);
    const three = b.submit(3);
    await sleep(10);
    expect(flushes).toEqual([[1]]); // 2 and 3 wait for 2's window, not the end of their turns
    expect(await Promise.all([two, three])).toEqual([2, 3]);
    expect(flushes).toEqual([[1], [2, 3]]);
    release();
    expect(await one).toBe(1);
  });

  it('keyed: a request whose key a running flush holds waits for the next batch; other keys go now', async () => {
    const log: string[] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const b = new Batcher<{ key: string; n: number }, number>(
      async (items) => {
        log.push(`start ${items.map((i) => `${i.key}${i.n}`).join(',')}`);
        if (items.some((i) => i.n === 1)) await first;
        log.push(`end ${items.map((i) => `${i.key}${i.n}`).join(',')}`);
        return items.map((i) => ok(i.n));
      },
      { windowMs: 1, keys: (i) => [i.key] },
    );
    const a1 = b.submit({ key: 'a', n: 1 });
    await sleep(20); // a1's flush is running, holding 'a'
    const rest = [b.submit({ key: 'a', n: 2 }), b.submit({ key: 'b', n: 3 }), b.submit({ key: 'a', n: 4 })];
    await sleep(30);
    expect(log).toEqual(['start a1', 'start b3', 'end b3']);
    release();
    expect(await Promise.all([a1, ...rest])).toEqual([1, 2, 3, 4]);
    expect(log.slice(3)).toEqual(['end a1', 'start a2,a4', 'end a2,a4']);
  });

  it('keyed, eager or not, any arrivals and flush times: a key is never in two running flushes, its requests flush in arrival order, each is answered once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ keys: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 2 }), gap: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (requests, durations, maxItems, maxConcurrent, eager) => {
          const holding = new Map<string, number>();
          const flushedOrder = new Map<string, number[]>();
          let flushes = 0;
          let violation = '';
          const b = new Batcher<{ id: number; keys: string[] }, number>(
            async (items) => {
              const keys = new Set(items.flatMap((i) => i.keys));
              for (const k of keys) {
                if (holding.has(k)) violation ||= `key ${k} in two running flushes`;
                holding.set(k, 1);
              }
              for (const i of items) for (const k of i.keys) flushedOrder.set(k, [...(flushedOrder.get(k) ?? []), i.id]);
              await sleep(durations[flushes++ % durations.length]!);
              for (const k of keys) holding.delete(k);
              return items.map((i) => ok(i.id));
            },
            { windowMs: 1, maxItems, maxConcurrent, eager, keys: (i) => i.keys },
          );
          const answers: Promise<number>[] = [];
          for (const [id, r] of requests.entries()) {
            answers.push(b.submit({ id, keys: r.keys }));
            if (r.gap) await sleep(r.gap);
          }
          expect(await Promise.all(answers)).toEqual(requests.map((_, id) => id));
          expect(violation).toBe('');
          for (const [k, ids] of flushedOrder) {
            expect(ids, k).toEqual(requests.flatMap((r, id) => ((r.keys as string[]).includes(k) ? [id] : [])));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
