import { describe, expect, it } from 'vitest';
import { parseReport } from '../../worker/index.js';
import { embedReport, extractReportJson, scriptSafeJson, TemplateError } from '../../worker/report/standalone.js';
import { readEmbeddedReport } from '../../src/viewer/embedded.js';
import { scriptSafe } from '../../vite.config.js';
import { richReport } from './fixtures/rich-report.js';

const TEMPLATE = `<!doctype html><html><head><title>t</title><script type="application/json" id="pcap-report">null</script></head><body><script type="module">const s = '<script type="application/json" id="pcap-report">';</script></body></html>`;

describe('embedReport', () => {
  it('embeds a hostile report so that no packet text can close the block or start markup', () => {
    const report = richReport({ hostile: true });
    const html = embedReport(TEMPLATE, report);
    const json = extractReportJson(html)!;
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    // Exactly the template's own closing tags remain: the data block's and the module script's.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const back = parseReport(json);
    expect(back.ok).toBe(true);
    if (back.ok) expect(back.report).toEqual(report);
    expect(readEmbeddedReport(json).ok).toBe(true);
  });

  it('escapes <, >, &, U+2028 and U+2029 as JSON unicode escapes', () => {
    expect(scriptSafeJson({ a: '</script><!-- & \u2028\u2029' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029"}');
    expect(JSON.parse(scriptSafeJson({ a: '</script>' }))).toEqual({ a: '</script>' });
  });

  it('keeps $-patterns in report text literally', () => {
    const r = richReport();
    r.findings[0].detail = "cost $& and $' and $1";
    const html = embedReport(TEMPLATE, r);
    expect(extractReportJson(html)).toContain("cost $\\u0026 and $' and $1");
  });

  it('refuses templates without a data block in the head', () => {
    const r = richReport();
    expect(() => embedReport('<html><body></body></html>', r)).toThrow(TemplateError);
    expect(() => embedReport('<html><head></head><body><script type="application/json" id="pcap-report">null</script></body></html>', r)).toThrow(TemplateError);
  });

  it('the viewer refuses the empty template and invalid data', () => {
    expect(readEmbeddedReport('null').ok).toBe(false);
    expect(readEmbeddedReport(null).ok).toBe(false);
    expect(readEmbeddedReport('{"schemaVersion":1}').ok).toBe(false);
  });
});

describe('inline script escaping (viewer build)', () => {
  it('rewrites </script and <!-- into escapes that mean the same in JS strings and regexes', () => {
    const js = `const a = "</script>"; const b = /<\\/script>/; const c = \`<!--\`;`;
    const out = scriptSafe(js);
    expect(out).not.toMatch(/<\/script/i);
    expect(out).not.toContain('<!--');
    // eslint-disable-next-line no-new-func
    const f = new Function(`${out}; return [a, b.source, c];`);
    expect(f()).toEqual(['</script>', '<\\/script>', '<!--']);
  });
});
