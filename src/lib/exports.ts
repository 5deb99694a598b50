/** Report exports: JSON, CSV (CSV-injection-safe, from the engine), and the self-contained HTML viewer. */
import type { Report } from '../../worker/index.js';
import { conversationsCsv, tcpEventsCsv } from '../../worker/report/export.js';
import { embedReport } from '../../worker/report/standalone.js';
import { download, exportName } from './download.js';

/** Where the built viewer template is served from (copied from dist/viewer/report.html at build). */
export const VIEWER_TEMPLATE_URL = '/viewer/report.html';

export type ExportKind = 'json' | 'conversations-csv' | 'events-csv' | 'html';

let template: Promise<string> | null = null;

export function loadTemplate(fetcher: typeof fetch = fetch): Promise<string> {
  template ??= fetcher(VIEWER_TEMPLATE_URL, { cache: 'no-cache' }).then(async (r) => {
    if (!r.ok) throw new Error(`the report viewer template is not available (HTTP ${r.status})`);
    return r.text();
  });
  template.catch(() => (template = null));
  return template;
}

export async function exportReport(report: Report, kind: ExportKind, templateHtml?: string): Promise<void> {
  const name = report.source.fileName;
  switch (kind) {
    case 'json':
      download(`${JSON.stringify(report, null, 1)}\n`, exportName(name, '.report.json'), 'application/json');
      return;
    case 'conversations-csv':
      download(conversationsCsv(report), exportName(name, '.conversations.csv'), 'text/csv');
      return;
    case 'events-csv':
      download(tcpEventsCsv(report), exportName(name, '.tcp-events.csv'), 'text/csv');
      return;
    case 'html': {
      const html = embedReport(templateHtml ?? (await loadTemplate()), report);
      download(html, exportName(name, '.report.html'), 'text/html');
      return;
    }
  }
}
