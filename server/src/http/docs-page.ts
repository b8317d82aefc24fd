type Json = Record<string, unknown>;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pre = (v: unknown) => `<pre>${escape(JSON.stringify(v, null, 2))}</pre>`;

/**
 * The reference page at /api/docs, rendered on the server from the same
 * documents: no script, no external asset, so it reads offline and under
 * helmet's default content security policy.
 */
export function docsPage(openapi: Json, events: Json): string {
  const paths = openapi.paths as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags as string[])[0]!;
      const parts = [
        `<h3><code>${method.toUpperCase()} ${escape(path)}</code></h3>`,
        `<p>${escape(String(op.summary))} <em>Auth: ${escape(String(op['x-auth']))}</em></p>`,
        op.parameters ? `<h4>Parameters</h4>${pre(op.parameters)}` : '',
        op.requestBody ? `<h4>Body</h4>${pre((op.requestBody as { content: { 'application/json': { schema: unknown } } }).content['application/json'].schema)}` : '',
        `<h4>Responses</h4><p>${Object.entries(op.responses as Record<string, { description: string }>)
          .map(([status, r]) => `<b>${status}</b>: ${escape(r.description)}`)
          .join('<br>')}</p>`,
      ];
      byTag.set(tag, [...(byTag.get(tag) ?? []), `<section>${parts.join('')}</section>`]);
    }
  }
  const channels = events.channels as Record<string, { address: string; messages: Record<string, { summary: string; payload?: unknown }> }>;
  const eventSections = Object.values(channels).map(
    (ch) =>
      `<h2>Socket events: ${escape(ch.address)}</h2>` +
      Object.entries(ch.messages)
        .map(([name, m]) => `<section><h3><code>${escape(name)}</code></h3><p>${escape(m.summary)}</p>${m.payload ? pre(m.payload) : ''}</section>`)
        .join(''),
  );
  const info = openapi.info as { title: string; version: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)} ${escape(info.version)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}pre{background:#f5f5f5;padding:.5rem;overflow:auto;font-size:13px}section{border-top:1px solid #ddd;padding:.25rem 0}h3{margin:.75rem 0 .25rem}</style>
</head><body>
<h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>
<p>${escape(info.description)} Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>, <a href="/api/events.json">/api/events.json</a>.</p>
<h2>Errors</h2>${pre((openapi.components as { schemas: Json }).schemas)}
${[...byTag].map(([tag, sections]) => `<h2>${escape(tag)}</h2>${sections.join('')}`).join('\n')}
${eventSections.join('\n')}
</body></html>`;
}
