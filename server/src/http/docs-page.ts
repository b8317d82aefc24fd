type Json = Record<string, unknown>;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pre = (v: unknown) => `<pre>${escape(JSON.stringify(v, null, 2))}</pre>`;
/** Schemas fold away, so the page reads as a list of routes first. */
const folded = (label: string, v: unknown) => `<details><summary>${label}</summary>${pre(v)}</details>`;
const anchor = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/**
 * The reference page at /api/docs, rendered on the server from the same
 * documents: no script, no external asset, so it reads offline and under
 * helmet's default content security policy.
 */
export function docsPage(openapi: Json, events: Json): string {
  const paths = openapi.paths as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  const toc = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags as string[])[0]!;
      const parts = [
        `<h3 id="${anchor(`${method} ${path}`)}"><code>${method.toUpperCase()} ${escape(path)}</code></h3>`,
        `<p>${escape(String(op.summary))} <em>Auth: ${escape(String(op['x-auth']))}</em></p>`,
        op.parameters ? folded('Parameters', op.parameters) : '',
        op.requestBody ? folded('Body', (op.requestBody as { content: { 'application/json': { schema: unknown } } }).content['application/json'].schema) : '',
        `<p>${Object.entries(op.responses as Record<string, { description: string }>)
          .map(([status, r]) => `<b>${status}</b>: ${escape(r.description)}`)
          .join('<br>')}</p>`,
      ];
      byTag.set(tag, [...(byTag.get(tag) ?? []), `<section>${parts.join('')}</section>`]);
      toc.set(tag, [...(toc.get(tag) ?? []), `<a href="#${anchor(`${method} ${path}`)}"><code>${method.toUpperCase()} ${escape(path)}</code></a>`]);
    }
  }
  const channels = events.channels as Record<string, { address: string; messages: Record<string, { summary: string; payload?: unknown }> }>;
  const eventSections = Object.values(channels).map(
    (ch) =>
      `<h2>Socket events: ${escape(ch.address)}</h2>` +
      Object.entries(ch.messages)
        .map(([name, m]) => `<section><h3><code>${escape(name)}</code></h3><p>${escape(m.summary)}</p>${m.payload ? folded('Payload', m.payload) : ''}</section>`)
        .join(''),
  );
  const info = openapi.info as { title: string; version: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)} ${escape(info.version)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}nav p{margin:.2rem 0;font-size:14px}details{margin:.2rem 0}table{border-collapse:collapse}td{padding:.1rem .6rem;border-bottom:1px solid #eee}pre{background:#f5f5f5;padding:.5rem;overflow:auto;font-size:13px}section{border-top:1px solid #ddd;padding:.25rem 0}h3{margin:.75rem 0 .25rem}</style>
</head><body>
<h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>
<p>${escape(info.description)} Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>, <a href="/api/events.json">/api/events.json</a>.</p>
<nav>${[...toc].map(([tag, links]) => `<p><b>${escape(tag)}</b>: ${links.join(' · ')}</p>`).join('')}<p><b>More</b>: <a href="#socket-events">socket events</a> · <a href="#errors">errors</a></p></nav>
${[...byTag].map(([tag, sections]) => `<h2>${escape(tag)}</h2>${sections.join('')}`).join('\n')}
<div id="socket-events">${eventSections.join('\n')}</div>
<h2 id="errors">Errors</h2><p>Every failure answers <code>{ error: { code, message } }</code> with one of these codes and its HTTP status.</p>
${errorTable(openapi)}
</body></html>`;
}

function errorTable(openapi: Json): string {
  const schemas = (openapi.components as { schemas: Record<string, Json> }).schemas;
  const statuses = (schemas.ErrorCode?.['x-error-status'] ?? {}) as Record<string, number>;
  const rows = Object.entries(statuses).map(([code, status]) => `<tr><td><code>${escape(code)}</code></td><td>${status}</td></tr>`);
  return `<table>${rows.join('')}</table>${folded('Error body schema', schemas.ErrorBody)}`;
}
