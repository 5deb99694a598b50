import type { Report } from './schema.js';

/**
 * The self-contained HTML report: the standalone viewer (one HTML file with its JS and CSS inlined,
 * built by `vite build --mode viewer` into `dist/viewer/report.html`, also served by the app as
 * `/viewer/report.html`) with a report embedded as JSON. The browser app's "Export → HTML" and the
 * CLI's `analyze --html` both call `embedReport(template, report)`.
 *
 * The template's data block, `<script type="application/json" id="pcap-report">` in its <head>, has
 * its content replaced. (The viewer's own inlined code, later in the body, may contain that string as
 * a literal; only the first occurrence, which must be in the head, is the block.) The JSON is escaped so that no packet-derived string can end the block
 * or start markup: `<`, `>` and `&` become \u003c, \u003e, \u0026 (so `</script>` and `<!--` cannot
 * appear), and U+2028/U+2029 are escaped too (harmless in JSON, but not in older JS parsers that
 * might eval it). The result is still valid JSON, read with JSON.parse and validated again by the viewer.
 */
export const REPORT_BLOCK_OPEN = '<script type="application/json" id="pcap-report">';

/** JSON text safe to place inside an HTML <script> data block. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Returns the template with `report` embedded; throws TemplateError when the template has no (or several) data blocks. */
export function embedReport(templateHtml: string, report: Report): string {
  const start = templateHtml.indexOf(REPORT_BLOCK_OPEN);
  if (start < 0) throw new TemplateError('not a pcap-analyzer viewer template: the report data block is missing (build it with `npm run build`)');
  const headEnd = templateHtml.indexOf('</head>');
  if (headEnd < 0 || start > headEnd) throw new TemplateError('the viewer template\'s report data block must be in its <head>');
  const contentStart = start + REPORT_BLOCK_OPEN.length;
  const end = templateHtml.indexOf('</script>', contentStart);
  if (end < 0) throw new TemplateError('the viewer template\'s report data block is not closed');
  // Function replacement would be needed with String.replace ($-patterns); slicing avoids it entirely.
  return templateHtml.slice(0, contentStart) + scriptSafeJson(report) + templateHtml.slice(end);
}

/** Reads the embedded JSON text back (the viewer does this with the DOM; tests and tools with this). */
export function extractReportJson(html: string): string | null {
  const start = html.indexOf(REPORT_BLOCK_OPEN);
  if (start < 0) return null;
  const contentStart = start + REPORT_BLOCK_OPEN.length;
  const end = html.indexOf('</script>', contentStart);
  return end < 0 ? null : html.slice(contentStart, end);
}
