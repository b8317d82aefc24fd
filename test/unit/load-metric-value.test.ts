import { describe, expect, it } from 'vitest';
import { metricValue } from '../load/lib/probe.js';

// The load scripts read a node's /metrics (heap, GC pauses) with metricValue.
const TEXT = `# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.
# TYPE nodejs_gc_duration_seconds histogram
nodejs_gc_duration_seconds_bucket{le="0.001",node="vm-0",kind="minor"} 3
nodejs_gc_duration_seconds_sum{node="vm-0",subkind="major",kind="minor"} 0.512
nodejs_gc_duration_seconds_count{node="vm-0",kind="minor"} 97
nodejs_gc_duration_seconds_sum{node="vm-0",kind="major"} 0.0375
nodejs_gc_duration_seconds_count{node="vm-0",kind="major"} 4
nodejs_heap_size_used_bytes{node="vm-0"} 123456789
process_cpu_seconds_total 12.5
`;

describe('metricValue', () => {
  it('reads the first series of a name, with or without labels', () => {
    expect(metricValue(TEXT, 'nodejs_heap_size_used_bytes')).toBe(123456789);
    expect(metricValue(TEXT, 'process_cpu_seconds_total')).toBe(12.5);
    expect(metricValue(TEXT, 'nodejs_gc_duration_seconds_count')).toBe(97);
  });

  it('picks the series carrying every label asked for', () => {
    expect(metricValue(TEXT, 'nodejs_gc_duration_seconds_count', { kind: 'major' })).toBe(4);
    expect(metricValue(TEXT, 'nodejs_gc_duration_seconds_sum', { kind: 'minor', node: 'vm-0' })).toBe(0.512);
    expect(metricValue(TEXT, 'nodejs_gc_duration_seconds_sum', { kind: 'incremental' })).toBeUndefined();
    expect(metricValue(TEXT, 'nodejs_gc_duration_seconds', { kind: 'minor' })).toBeUndefined();
    // A label is matched by name, not as a substring of another label.
    expect(metricValue(TEXT, 'nodejs_gc_duration_seconds_sum', { kind: 'major' })).toBe(0.0375);
  });
});
