import { createRequire } from 'node:module';
import type { Cluster, Redis } from 'ioredis';

/** ioredis' Pipeline class (not exported by its index; its own `pipeline()` builds one per call). */
type PipelineClass = new (redis: unknown) => object;
const Pipeline = (createRequire(import.meta.url)('ioredis/built/Pipeline') as { default: PipelineClass }).default;

interface Scripted {
  scriptsSet: Record<string, unknown>;
  addedBuiltinSet: Set<string>;
  defineCommand(...args: unknown[]): unknown;
  addBuiltinCommand?(...args: unknown[]): unknown;
}

/** What a pipeline built here holds: the fields ioredis' Commander and Pipeline constructors set. */
interface PipelineFields {
  options: unknown;
  scriptsSet: Record<string, unknown>;
  addedBuiltinSet: Set<string>;
  redis: unknown;
  isPipeline: boolean;
  replyPending: number;
  _queue: unknown[];
  _result: unknown[];
  _transactions: number;
  _shaToScript: Record<string, unknown>;
  isCluster: unknown;
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  addBatch(cmds: unknown[]): void;
}

/**
 * Pipelines that do not copy every script of their client onto themselves, and that the young
 * generation can collect.
 *
 * Auto-pipelining builds a pipeline per event-loop turn that sends commands (several per chat
 * message), through `client.pipeline()`. ioredis' Pipeline constructor does two things there that
 * cost far more than the pipeline's work:
 *
 * - It copies each command added with `defineCommand` (two methods per script) onto the new
 *   pipeline. With Pairly's ~20 scripts that was ~22 µs a pipeline against ~5 µs without (the objects
 *   go to dictionary mode): the single largest item of ioredis in a profile of `npm run bench -- chat`
 *   (BENCHMARKS.md, "Half the Redis calls per message"). Here the script methods sit on the prototype
 *   of a subclass (they call through `this`, so they work from there), made again when a script is
 *   defined.
 * - It defines `length` as an accessor of the instance, a getter closure over the pipeline. V8 gives
 *   every such instance a hidden class of its own, and hidden classes live in the old generation: the
 *   new class's descriptors keep the getter, its context, and through it the pipeline alive at every
 *   scavenge until the next full collection. So every pipeline, with its commands, their serialised
 *   buffers, the replies and what the callers' promise reactions hold, survived the young generation
 *   and was promoted: ~1 MB per scavenge at 200 chat messages/s, a full collection every 5–10 s, and a
 *   message delayed 35–60 ms in each second that had one (BENCHMARKS.md, "Pipelines the young
 *   generation can collect"). Here `length` is a getter of the prototype.
 *
 * So the constructor is not run: a pipeline is made from the subclass's prototype and given the fields
 * ioredis' constructors give it (Commander's, then Pipeline's, less the two above). Everything else is
 * ioredis' own Pipeline: exec, NOSCRIPT handling (the script's command falls back to the client,
 * `pipeline.redis`) and Cluster routing. The copy's other product, `_shaToScript`, is read nowhere in
 * ioredis 5–6. test/unit/redis-pipeline.test.ts checks it against a real Redis (scripts defined before
 * and after, MULTI, a Cluster client) and holds the fields to those of a pipeline built by ioredis'
 * own constructor, so an ioredis upgrade that adds one fails there.
 */
export function lightPipelines(client: Redis | Cluster): void {
  const c = client as unknown as Scripted & Record<string, unknown>;
  /** The prototype pipelines are made from (scripts and `length` on it); made again when a script is defined. */
  let proto: object | undefined;
  const forget = <A extends unknown[]>(fn: (...a: A) => unknown) =>
    function (this: unknown, ...a: A) {
      proto = undefined;
      return fn.apply(this, a);
    };
  c.defineCommand = forget(c.defineCommand);
  if (c.addBuiltinCommand) c.addBuiltinCommand = forget(c.addBuiltinCommand);

  const build = () => {
    const names = [...Object.keys(c.scriptsSet), ...c.addedBuiltinSet];
    class LightPipeline extends Pipeline {
      get length(): number {
        return (this as unknown as PipelineFields)._queue.length;
      }
    }
    const methods = LightPipeline.prototype as unknown as Record<string, unknown>;
    for (const name of names) {
      methods[name] = c[name];
      methods[`${name}Buffer`] = c[`${name}Buffer`];
    }
    return LightPipeline.prototype;
  };
  const isCluster = client.constructor.name === 'Cluster' || (client as { isCluster?: boolean }).isCluster;

  c.pipeline = function pipeline(commands?: unknown[]) {
    proto ??= build();
    const p = Object.create(proto) as PipelineFields;
    // Commander's constructor (its `options`, {}, is replaced by the client's at once).
    p.options = client.options;
    p.scriptsSet = {};
    p.addedBuiltinSet = new Set();
    // Pipeline's.
    p.redis = client;
    p.isPipeline = true;
    p.replyPending = 0;
    p._queue = [];
    p._result = [];
    p._transactions = 0;
    p._shaToScript = {};
    p.isCluster = isCluster;
    p.promise = new Promise((resolve, reject) => {
      p.resolve = resolve;
      p.reject = reject;
    });
    if (Array.isArray(commands)) p.addBatch(commands);
    return p;
  };
}
