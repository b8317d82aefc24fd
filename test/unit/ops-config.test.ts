import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The operators' files in ops/ (issue #14): Prometheus' alert rules and scrape config pass promtool (Debian's
 * prometheus package; CI installs it, and its absence fails this test), and every Pairly metric they and the
 * Grafana dashboard name is one the server registers — a renamed metric would otherwise leave an alert that
 * never fires and a panel that stays empty.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const rulesFile = join(ROOT, 'ops/prometheus/alerts.yml');
const configFile = join(ROOT, 'ops/prometheus/prometheus.yml');
const dashboardFile = join(ROOT, 'ops/grafana/pairly.json');

/** Metric names the server's code registers (`name: 'pairly_…'` in server/src), plus prom-client's defaults and Prometheus' own `up`. */
function publishedMetrics(): Set<string> {
  const names = new Set(['up', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes']);
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/name: '(pairly_[a-z0-9_]+)'/g)) names.add(m[1]!);
    }
  };
  walk(join(ROOT, 'server/src'));
  return names;
}

/** The metric names an expression reads (histogram series resolved to their metric). */
function metricsIn(expr: string): string[] {
  const stripped = expr.replace(/"[^"]*"/g, '""');
  const words = [...stripped.matchAll(/\b(pairly_[a-z0-9_]+|nodejs_[a-z0-9_]+|process_[a-z0-9_]+|up)\b/g)].map((m) => m[1]!);
  return words.map((w) => w.replace(/_(bucket|count|sum)$/, ''));
}

describe('ops/', () => {
  it('promtool accepts the alert rules and the scrape config', () => {
    expect(execFileSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' })).toContain('SUCCESS');
    expect(execFileSync('promtool', ['check', 'config', configFile], { encoding: 'utf8' })).toContain('SUCCESS');
  });

  it('alerts name only metrics the server publishes, and each has a severity and a summary', () => {
    const known = publishedMetrics();
    const rules = (parse(readFileSync(rulesFile, 'utf8')) as { groups: { rules: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[] }[] }).groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const r of rules) {
      for (const m of metricsIn(r.expr)) expect(known, `${r.alert}: ${m}`).toContain(m);
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toBeTruthy();
    }
    // The money alerts exist.
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['PairlyPaymentWebhookLag', 'PairlyLedgerVerificationFailed', 'PairlyQueueBacklog', 'PairlyDeadLetters']));
  });

  it('the Grafana dashboard is valid JSON whose panels read published metrics and do not overlap', () => {
    const known = publishedMetrics();
    const dash = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { uid: string; panels: { title: string; gridPos: { x: number; y: number; w: number; h: number }; targets: { expr: string }[] }[] };
    expect(dash.uid).toBe('pairly-overview');
    expect(dash.panels.length).toBeGreaterThan(10);
    const cells = new Set<string>();
    for (const p of dash.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) for (const m of metricsIn(t.expr)) expect(known, `${p.title}: ${m}`).toContain(m);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
