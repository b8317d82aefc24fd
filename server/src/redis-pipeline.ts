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

/**
 * Pipelines that do not copy every script of their client onto themselves.
 *
 * ioredis' Pipeline constructor copies each command added with `defineCommand` (two methods per
 * script) onto the new pipeline, and auto-pipelining builds a pipeline per event-loop turn that sends
 * commands. With Pairly's ~20 scripts that was ~22 µs a pipeline against ~5 µs now
 * (the objects go to dictionary mode), several times per chat message: the single largest item of
 * ioredis in a profile of `npm run bench -- chat` (BENCHMARKS.md, "Half the Redis calls per message").
 *
 * So `client.pipeline()` (which auto-pipelining calls too) builds the pipeline against a stand-in
 * client that has no scripts, as an instance of a subclass whose prototype carries the script
 * methods (they call through `this`, so they work from a prototype). The subclass is made again
 * when a script is defined. Everything else is ioredis' own Pipeline: its constructor, exec,
 * NOSCRIPT handling (the script's command falls back to the client, `pipeline.redis`) and Cluster
 * routing. The copy's other product, `_shaToScript`, is read nowhere in ioredis 5–6.
 * test/unit/redis-pipeline.test.ts checks it against a real Redis, scripts defined before and after.
 */
export function lightPipelines(client: Redis | Cluster): void {
  const c = client as unknown as Scripted & Record<string, unknown>;
  let shape: { Class: PipelineClass; bare: object } | undefined;
  const forget = <A extends unknown[]>(fn: (...a: A) => unknown) =>
    function (this: unknown, ...a: A) {
      shape = undefined;
      return fn.apply(this, a);
    };
  c.defineCommand = forget(c.defineCommand);
  if (c.addBuiltinCommand) c.addBuiltinCommand = forget(c.addBuiltinCommand);

  const build = () => {
    const names = [...Object.keys(c.scriptsSet), ...c.addedBuiltinSet];
    class ScriptedPipeline extends Pipeline {}
    const proto = ScriptedPipeline.prototype as unknown as Record<string, unknown>;
    for (const name of names) {
      proto[name] = c[name];
      proto[`${name}Buffer`] = c[`${name}Buffer`];
    }
    // What the constructor reads of its client, without the scripts.
    const bare = { constructor: client.constructor, isCluster: (client as { isCluster?: boolean }).isCluster, options: client.options, scriptsSet: {}, addedBuiltinSet: new Set() };
    return { Class: ScriptedPipeline, bare };
  };

  c.pipeline = function pipeline(commands?: unknown[]) {
    shape ??= build();
    const p = Reflect.construct(Pipeline, [shape.bare], shape.Class) as { redis: unknown; addBatch(cmds: unknown[]): void };
    p.redis = client;
    if (Array.isArray(commands)) p.addBatch(commands);
    return p;
  };
}
