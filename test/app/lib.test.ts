import { describe, expect, it } from 'vitest';
import { bits, bytes, count, duration, eta, endpoint } from '../../src/lib/format.js';
import { parseRoute } from '../../src/lib/route.js';
import { DEFAULT_SETTINGS, loadSettings, thresholdsDiffer } from '../../src/lib/settings.js';
import { defaultThresholds } from '../../worker/index.js';
import { exportName } from '../../src/lib/download.js';
import { filterRows, sortRows, type Column } from '../../src/lib/table.js';
import { isShareId, taskEvent } from '../../src/lib/api.js';

describe('format', () => {
  it('formats figures predictably', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(count(null)).toBe('—');
    expect(bytes(999)).toBe('999 B');
    expect(bytes(1_500_000)).toBe('1.50 MB');
    expect(bits(2_500_000)).toBe('2.50 Mbit/s');
    expect(duration(0.000412)).toBe('412 µs');
    expect(duration(0.0123)).toBe('12.3 ms');
    expect(duration(0.25)).toBe('250 ms');
    expect(duration(3.5)).toBe('3.500 s');
    expect(duration(125)).toBe('2 min 05 s');
    expect(eta(30)).toBe('30 s');
    expect(endpoint('2001:db8::1', 443)).toBe('[2001:db8::1]:443');
  });
});

describe('routes', () => {
  it('parses home, local and shared routes', () => {
    expect(parseRoute('/', '')).toEqual({ name: 'home' });
    expect(parseRoute('/', '#report=123-abcdef0123')).toEqual({ name: 'local', fingerprint: '123-abcdef0123' });
    expect(parseRoute('/', '#report=<script>')).toEqual({ name: 'home' });
    expect(parseRoute('/r/AbC_def-123456789012', '')).toEqual({ name: 'shared', id: 'AbC_def-123456789012' });
  });
});

describe('settings', () => {
  it('falls back to defaults on bad input', () => {
    expect(loadSettings({ getItem: () => '{"browserLimitMB":-5,"theme":"pink"}' })).toEqual(DEFAULT_SETTINGS);
    expect(loadSettings({ getItem: () => 'not json' })).toEqual(DEFAULT_SETTINGS);
    expect(loadSettings({ getItem: () => '{"browserLimitMB":200,"theme":"dark"}' })).toEqual({ browserLimitMB: 200, theme: 'dark', thresholds: {} });
    // Threshold overrides: known names with non-negative numbers only.
    const stored = '{"thresholds":{"gapSeconds":5,"rttWarnSeconds":-1,"nope":3,"dnsSlowSeconds":"1","__proto__":{"x":1}}}';
    expect(loadSettings({ getItem: () => stored }).thresholds).toEqual({ gapSeconds: 5 });
  });
});

describe('export names', () => {
  it('strips capture extensions and unsafe characters', () => {
    expect(exportName('office trace.pcapng.gz', '.report.html')).toBe('office_trace.report.html');
    expect(exportName('../../<x>.pcap', '.csv')).toBe('x_.csv');
    expect(exportName(null, '.json')).toBe('capture.json');
  });
});

describe('tables', () => {
  const cols: Column<{ n: number | null; s: string }>[] = [
    { key: 'n', label: 'N', numeric: true, value: (r) => r.n },
    { key: 's', label: 'S', value: (r) => r.s },
  ];
  const rows = [
    { n: 3, s: 'b10' },
    { n: null, s: 'a' },
    { n: 10, s: 'b9' },
  ];
  it('sorts numbers numerically with missing values last', () => {
    expect(sortRows(rows, cols[0], 'desc').map((r) => r.n)).toEqual([10, 3, null]);
    expect(sortRows(rows, cols[0], 'asc').map((r) => r.n)).toEqual([3, 10, null]);
    expect(sortRows(rows, cols[1], 'asc').map((r) => r.s)).toEqual(['a', 'b9', 'b10']);
  });
  it('filters on every term', () => {
    expect(filterRows(rows, cols, 'b 10')).toEqual([rows[0], rows[2]]);
    expect(filterRows(rows, cols, '  ')).toEqual(rows);
  });
});

describe('server API helpers', () => {
  it('accepts only server-shaped ids', () => {
    expect(isShareId('AbC_def-1234567890123')).toBe(true);
    expect(isShareId('../etc/passwd')).toBe(false);
    expect(isShareId('javascript:alert(1)')).toBe(false);
  });
  it('normalises progress events of either shape', () => {
    expect(taskEvent({ state: 'running', bytes: 10, packets: 2 })).toMatchObject({ state: 'running', bytes: 10, packets: 2 });
    expect(taskEvent({ status: 'running', progress: { bytes: 5, total_bytes: 9, packets: 1 } })).toMatchObject({ state: 'running', bytes: 5, totalBytes: 9 });
    expect(taskEvent({ status: 'failed', error: { code: 'x', message: 'boom' } })).toMatchObject({ state: 'failed', error: 'boom' });
    expect(taskEvent({ status: 'weird' })).toBeNull();
  });
});

describe('thresholdsDiffer', () => {
  it('compares a report’s thresholds with the defaults completed by the overrides', () => {
    const used = defaultThresholds();
    expect(thresholdsDiffer(used, {})).toBe(false);
    expect(thresholdsDiffer(used, { gapSeconds: 5 })).toBe(true);
    expect(thresholdsDiffer({ ...used, gapSeconds: 5 }, { gapSeconds: 5 })).toBe(false);
    expect(thresholdsDiffer({ ...used, gapSeconds: 5 }, {})).toBe(true);
  });
});
