/**
 * The optional server (server/API.md): health probe, shared reports, and the upload fallback.
 * Without a server (static hosting) `probeServer` returns null and the UI explains why sharing and
 * server analysis are unavailable. Every report that comes back is validated again here.
 */
import { parseReport, type Report } from '../../worker/index.js';

export interface ServerInfo {
  version: string | null;
  queue: { running: number; waiting: number; capacity: number } | null;
}

export type ServerState = { state: 'checking' } | { state: 'available'; info: ServerInfo } | { state: 'absent'; reason: string };

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

async function failure(res: Response, what: string): Promise<ApiFailure> {
  let code = `http_${res.status}`;
  let message = `${what} failed (HTTP ${res.status})`;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code.slice(0, 64);
    if (typeof body.error?.message === 'string') message = body.error.message.slice(0, 500);
  } catch {
    // not JSON: keep the generic message
  }
  const retry = Number(res.headers.get('retry-after'));
  return new ApiFailure(res.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : null);
}

export async function probeServer(fetcher: typeof fetch = fetch): Promise<ServerState> {
  const reason =
    'This copy of pcap-analyzer is served without its server (static hosting), so reports cannot be shared from here and captures cannot be analysed on a server. Everything else works in this browser; to pass a report on, export it as a self-contained HTML file.';
  try {
    const res = await fetcher('/api/health', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('application/json')) return { state: 'absent', reason };
    const body = (await res.json()) as { status?: unknown; version?: unknown; queue?: ServerInfo['queue'] };
    if (!res.ok || body.status !== 'ok') {
      return { state: 'absent', reason: 'The server is reachable but reports it cannot store anything right now (its storage is unavailable). Try again later.' };
    }
    return { state: 'available', info: { version: typeof body.version === 'string' ? body.version.slice(0, 40) : null, queue: body.queue ?? null } };
  } catch {
    return { state: 'absent', reason };
  }
}

export interface SharedLink {
  id: string;
  url: string;
  expiresAt: string;
  deleteToken: string;
}

const ID = /^[A-Za-z0-9_-]{8,64}$/;

/** Only ids of the server's own shape make it into a link or a request path. */
export function isShareId(id: string): boolean {
  return ID.test(id);
}

export async function shareReport(report: Report, fetcher: typeof fetch = fetch): Promise<SharedLink> {
  const res = await fetcher('/api/reports', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(report) });
  if (res.status !== 201) throw await failure(res, 'Sharing');
  const body = (await res.json()) as { id?: unknown; expires_at?: unknown; delete_token?: unknown };
  if (typeof body.id !== 'string' || !isShareId(body.id) || typeof body.delete_token !== 'string') throw new ApiFailure(res.status, 'bad_response', 'the server answered with an unexpected body');
  return { id: body.id, url: `/r/${body.id}`, expiresAt: typeof body.expires_at === 'string' ? body.expires_at : '', deleteToken: body.delete_token };
}

export async function deleteShared(id: string, token: string, fetcher: typeof fetch = fetch): Promise<void> {
  if (!isShareId(id)) throw new ApiFailure(400, 'bad_id', 'malformed report id');
  const res = await fetcher(`/api/reports/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
  if (res.status !== 204 && res.status !== 404) throw await failure(res, 'Deleting the shared report');
}

export interface FetchedReport {
  report: Report;
  expiresAt: string | null;
  migratedFrom: number | null;
}

export async function fetchReport(path: string, fetcher: typeof fetch = fetch): Promise<FetchedReport> {
  const res = await fetcher(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw await failure(res, 'Loading the report');
  const parsed = parseReport(await res.text());
  if (!parsed.ok) throw new ApiFailure(res.status, 'invalid_report', `The report could not be shown: ${parsed.error}`);
  return { report: parsed.report, expiresAt: res.headers.get('x-report-expires-at'), migratedFrom: parsed.migratedFrom };
}

export function fetchShared(id: string, fetcher: typeof fetch = fetch): Promise<FetchedReport> {
  if (!isShareId(id)) return Promise.reject(new ApiFailure(400, 'bad_id', 'This link is malformed: report ids are letters, digits, "_" and "-".'));
  return fetchReport(`/api/reports/${id}`, fetcher);
}

// --- Upload fallback ----------------------------------------------------------------------------

export interface UploadAccepted {
  taskId: string;
  statusUrl: string;
  progressUrl: string;
  reportUrl: string;
  deleteToken: string | null;
}

function apiPath(x: unknown, prefix: string): string {
  // Paths from the server are followed only when they are its own API paths.
  if (typeof x !== 'string' || !x.startsWith(prefix) || !/^\/api\/[A-Za-z0-9_/-]+$/.test(x)) throw new ApiFailure(0, 'bad_response', 'the server answered with an unexpected body');
  return x;
}

/**
 * Uploads the capture with XMLHttpRequest (for upload progress) as multipart/form-data, field
 * `file`: the browser streams the file from disk and sends its name in the part's header.
 */
export function uploadCapture(
  file: File,
  onProgress: (sent: number, total: number) => void,
  signal: AbortSignal,
  thresholds: Readonly<Record<string, number>> = {},
): Promise<UploadAccepted> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // Thresholds other than the defaults travel as query parameters (server/API.md).
    const query = new URLSearchParams(Object.entries(thresholds).map(([name, value]) => ['threshold', `${name}=${value}`])).toString();
    xhr.open('POST', query ? `/api/upload?${query}` : '/api/upload');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiFailure(0, 'network', 'The upload failed: the connection to the server was lost.'));
    xhr.onabort = () => reject(Object.assign(new Error('upload cancelled'), { name: 'AbortError' }));
    xhr.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText) as Record<string, unknown>;
      } catch {
        // handled below
      }
      if (xhr.status !== 202) {
        const err = body.error as { code?: string; message?: string } | undefined;
        const retry = Number(xhr.getResponseHeader('retry-after'));
        const messages: Record<number, string> = {
          413: 'The capture is larger than the server accepts.',
          415: 'The server did not accept this file as a capture.',
          429: 'The server is busy (its analysis queue is full).',
        };
        reject(new ApiFailure(xhr.status, err?.code ?? `http_${xhr.status}`, err?.message ?? messages[xhr.status] ?? `The upload failed (HTTP ${xhr.status}).`, Number.isFinite(retry) && retry > 0 ? retry : null));
        return;
      }
      try {
        resolve({
          taskId: String(body.task_id ?? ''),
          statusUrl: apiPath(body.status_url, '/api/status/'),
          progressUrl: apiPath(body.progress_url, '/api/progress/'),
          reportUrl: apiPath(body.report_url, '/api/reports/'),
          deleteToken: typeof body.delete_token === 'string' ? body.delete_token : null,
        });
      } catch (e) {
        reject(e);
      }
    };
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

export interface TaskEvent {
  state: 'queued' | 'running' | 'done' | 'failed';
  position: number | null;
  bytes: number | null;
  totalBytes: number | null;
  packets: number | null;
  error: string | null;
}

/** Normalises one progress/status body (`state` or `status`, flat or nested progress). */
export function taskEvent(data: unknown): TaskEvent | null {
  if (!data || typeof data !== 'object') return null;
  const d = data as Record<string, unknown>;
  const state = (d.state ?? d.status) as TaskEvent['state'];
  if (!['queued', 'running', 'done', 'failed'].includes(state)) return null;
  const p = (d.progress && typeof d.progress === 'object' ? d.progress : d) as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const err = d.error;
  const error = typeof err === 'string' ? err : err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string' ? (err as { message: string }).message : null;
  return {
    state,
    position: num(d.position),
    bytes: num(p.bytes),
    totalBytes: num(p.total_bytes),
    packets: num(p.packets),
    error: error ? error.slice(0, 500) : null,
  };
}

/**
 * Follows a server task to its end with Server-Sent Events (named or unnamed events), falling back
 * to polling the status URL when the stream fails. Resolves on `done`, rejects on `failed`.
 */
export function followTask(task: UploadAccepted, onEvent: (e: TaskEvent) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let finished = false;
    let source: EventSource | null = null;
    let poll: ReturnType<typeof setInterval> | null = null;
    const end = (err?: Error) => {
      if (finished) return;
      finished = true;
      source?.close();
      if (poll) clearInterval(poll);
      if (err) reject(err);
      else resolve();
    };
    const handle = (e: TaskEvent | null) => {
      if (!e || finished) return;
      onEvent(e);
      if (e.state === 'done') end();
      else if (e.state === 'failed') end(new ApiFailure(0, 'analysis_failed', e.error ?? 'The server could not analyse the capture.'));
    };
    const onMessage = (ev: MessageEvent) => {
      try {
        handle(taskEvent(JSON.parse(String(ev.data))));
      } catch {
        // ignore a malformed event
      }
    };
    const startPolling = () => {
      if (poll || finished) return;
      poll = setInterval(async () => {
        try {
          const res = await fetch(task.statusUrl, { cache: 'no-store' });
          if (res.ok) handle(taskEvent(await res.json()));
        } catch {
          // keep polling
        }
      }, 1000);
    };
    signal.addEventListener('abort', () => end(Object.assign(new Error('cancelled'), { name: 'AbortError' })), { once: true });
    if (typeof EventSource === 'undefined') {
      startPolling();
      return;
    }
    source = new EventSource(task.progressUrl);
    source.onmessage = onMessage;
    for (const name of ['queued', 'running', 'done', 'failed', 'progress']) source.addEventListener(name, onMessage as EventListener);
    // While the stream reconnects (or if it cannot), the status URL answers too.
    source.onerror = () => startPolling();
  });
}
