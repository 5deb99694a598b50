import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpBindings } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { MAX_REPORT_BYTES, parseReport } from '../worker/index.js';
import pkg from '../package.json' with { type: 'json' };
import { threadRunner, type AnalysisRunner } from './analysis.js';
import type { ServerConfig } from './config.js';
import { ApiError, errorBody } from './errors.js';
import { hashToken, isId, newId, newToken } from './ids.js';
import { InProcessJobQueue, type JobQueue, type JobStatus } from './job-queue.js';
import { createLogger, type Logger } from './log.js';
import { RateLimiter } from './rate-limit.js';
import { FsReportStore, type ReportStore } from './report-store.js';
import { cleanFileName, MULTIPART_OVERHEAD_BYTES, receiveUpload, uploadKind, uploadThresholds } from './upload.js';

/**
 * The HTTP application: the API under /api and the built browser app for everything else.
 * `createApp(config, deps)` wires the default filesystem report store, in-process job queue and
 * worker-thread analysis; tests inject their own (and a clock) through `deps`.
 * The API is documented in server/API.md.
 */
export interface AppDeps {
  logger?: Logger;
  /** Milliseconds since the epoch: report expiry, rate limits and sweeps use it. */
  now?: () => number;
  analyze?: AnalysisRunner;
  reports?: ReportStore;
  queue?: JobQueue;
  /** Rate-limit key of a request (default: the socket's address, or X-Forwarded-For with TRUST_PROXY). */
  clientAddress?: (c: Context<AppEnv>) => string;
  /** Run the periodic sweep (default true). */
  sweeper?: boolean;
}

export type AppEnv = { Bindings: Partial<HttpBindings> };

export type PcapApp = Hono<AppEnv> & {
  /** Resolves once storage is ready and interrupted jobs are queued again (requests wait for it). */
  ready: Promise<void>;
  reports: ReportStore;
  queue: JobQueue;
  /** Deletes expired reports, stale job records and orphaned spool files now. */
  sweep(): Promise<void>;
  /** Stops the sweeper, the running analyses (they resume on the next start) and open progress streams. */
  close(): Promise<void>;
  /** Whether an upload with these headers should get `100 Continue` (see server/listen.ts). */
  acceptsUploadHeaders(method: string | undefined, path: string | undefined, contentLength: string | undefined): boolean;
};

export const VERSION: string = pkg.version;

/** The app's Content-Security-Policy: everything from this origin, nothing inline, no eval. */
const APP_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/** API responses are data, never a document: they may load nothing. */
const API_CSP = { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };

const COMMON_HEADERS = {
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
  crossOriginOpenerPolicy: 'same-origin',
  crossOriginResourcePolicy: 'same-origin',
  permissionsPolicy: { camera: false, microphone: false, geolocation: false, payment: false, usb: false },
};

/** Bodies of API requests other than uploads and shares are never read; anything larger is refused. */
const SMALL_BODY_BYTES = 16 * 1024;

const NO_STORE = { 'Cache-Control': 'no-store' };

/** Free space kept on the data volume beyond an announced upload's size. */
const STORAGE_RESERVE_BYTES = 64 * 1024 * 1024;

/** Open `/api/progress` streams at most (each holds a connection and a subscription). */
const MAX_PROGRESS_STREAMS = 500;

export function createApp(config: ServerConfig, deps: AppDeps = {}): PcapApp {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const now = deps.now ?? Date.now;
  const started = performance.now();
  const fsStore = deps.reports ? null : new FsReportStore(join(config.dataDir, 'reports'));
  const reports: ReportStore = deps.reports ?? fsStore!;
  const ownQueue = deps.queue
    ? null
    : new InProcessJobQueue({
        dataDir: config.dataDir,
        capacity: config.maxQueueSize,
        concurrency: config.concurrency,
        reportTtlMs: config.reportTtlMs,
        runner: deps.analyze ?? threadRunner({ memoryMb: config.analysisMemoryMb, timeoutMs: config.analysisTimeoutMs }),
        reports,
        now,
        logger,
      });
  const queue: JobQueue = deps.queue ?? ownQueue!;
  const limits = {
    upload: new RateLimiter(config.rateLimits.upload, now),
    share: new RateLimiter(config.rateLimits.share, now),
  };
  const clientAddress = deps.clientAddress ?? ((c: Context<AppEnv>) => defaultClientAddress(c, config.trustProxy));
  const ttlHours = Math.round(config.reportTtlMs / 3600_000);
  const sse = new Set<() => void>();

  const ready = (async () => {
    await mkdir(config.dataDir, { recursive: true });
    await fsStore?.init();
    await ownQueue?.recover();
  })();
  ready.catch((e) => logger.error('startup_storage_failed', { error: e instanceof Error ? e.message : String(e) }));

  const sweep = async () => {
    const t = now();
    try {
      const removed = await reports.sweep(t);
      await queue.sweep(t);
      if (removed) logger.info('reports_expired', { removed });
    } catch (e) {
      logger.error('sweep_failed', { error: e instanceof Error ? e.message : String(e) });
    }
  };
  let timer: NodeJS.Timeout | null = null;
  if (deps.sweeper !== false) {
    void ready.then(sweep, () => {});
    timer = setInterval(() => void sweep(), config.sweepIntervalMs);
    timer.unref();
  }

  const app = new Hono<AppEnv>();

  // --- Cross-cutting: request log, security headers, errors ------------------------------------
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const path = redactPath(c.req.path);
    const status = c.res.status;
    const fields = { method: c.req.method, path, status, ms: Math.round((performance.now() - t0) * 10) / 10 };
    if (status >= 500) logger.error('request', fields);
    else if (path.startsWith('/api/health')) logger.debug('request', fields);
    else logger.info('request', fields);
  });
  const apiHeaders = secureHeaders({ ...COMMON_HEADERS, contentSecurityPolicy: API_CSP });
  const appHeaders = secureHeaders({ ...COMMON_HEADERS, contentSecurityPolicy: APP_CSP });
  app.use('*', (c, next) => (isApi(c.req.path) ? apiHeaders(c, next) : appHeaders(c, next)));

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status, { ...NO_STORE, ...err.headers });
    logger.error('unhandled_error', { method: c.req.method, path: redactPath(c.req.path), error: err });
    return c.json(errorBody('internal', 'internal server error'), 500, NO_STORE);
  });
  app.notFound((c) => c.json(errorBody('not_found', 'no such endpoint'), 404, NO_STORE));

  // Storage must be ready (and interrupted jobs re-queued) before the API answers about them.
  app.use('/api/*', async (c, next) => {
    if (!c.req.path.startsWith('/api/health')) await ready.catch(() => {});
    const method = c.req.method;
    const bodyAllowed = (c.req.path === '/api/upload' || c.req.path === '/api/reports') && method === 'POST';
    if (!bodyAllowed && method !== 'GET' && method !== 'HEAD') {
      const len = Number(c.req.header('content-length') ?? 0);
      if (len > SMALL_BODY_BYTES) throw new ApiError(413, 'body_too_large', `this endpoint takes no request body over ${SMALL_BODY_BYTES} bytes`, { Connection: 'close' });
    }
    await next();
  });

  // --- Health ------------------------------------------------------------------------------------
  app.get('/api/health/live', (c) => c.json({ status: 'ok' }, 200, NO_STORE));

  let storageCache: { at: number; value: { writable: boolean; freeBytes: number | null } } | null = null;
  const storage = async () => {
    const t = performance.now();
    if (storageCache && t - storageCache.at < 1000) return storageCache.value;
    const value = { writable: await dirWritable(config.dataDir), freeBytes: await freeBytes(config.dataDir) };
    storageCache = { at: t, value };
    return value;
  };

  app.get('/api/health', async (c) => {
    const [store, q] = await Promise.all([storage(), queue.stats()]);
    const body = {
      status: store.writable ? 'ok' : 'unavailable',
      version: VERSION,
      uptime: Math.round((performance.now() - started) / 1000),
      queue: { running: q.running, waiting: q.waiting, capacity: q.capacity },
      storage: store,
    };
    return c.json(body, store.writable ? 200 : 503, NO_STORE);
  });

  // --- Upload and jobs -----------------------------------------------------------------------------
  const rateLimit = (c: Context<AppEnv>, which: 'upload' | 'share') => {
    const r = limits[which].take(clientAddress(c));
    if (!r.ok) {
      throw new ApiError(429, 'rate_limited', `too many ${which === 'upload' ? 'uploads' : 'shared reports'} from this address; retry in ${r.retryAfterSeconds} s`, {
        'Retry-After': String(r.retryAfterSeconds),
        Connection: 'close',
      });
    }
  };

  const uploadLimit = (kind: 'multipart' | 'raw') => config.maxUploadBytes + (kind === 'multipart' ? MULTIPART_OVERHEAD_BYTES : 0);

  app.post('/api/upload', async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    const kind = uploadKind(contentType);
    const close = { Connection: 'close' };
    if (!kind) {
      throw new ApiError(
        415,
        'unsupported_media_type',
        'send the capture as multipart/form-data (curl -F file=@capture.pcap) or as application/octet-stream (curl --data-binary @capture.pcap)',
        close,
      );
    }
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > uploadLimit(kind)) {
      throw new ApiError(413, 'upload_too_large', `the capture is larger than the ${Math.round(config.maxUploadBytes / 1048576)} MB upload limit (MAX_UPLOAD_SIZE_MB)`, close);
    }
    const thresholds = uploadThresholds(c.req.queries('threshold') ?? []);
    rateLimit(c, 'upload');
    if (declared !== undefined) {
      // Refuse at once what cannot fit on the data volume (keeping some room for reports).
      const free = await freeBytes(config.dataDir);
      if (free !== null && free < Number(declared) + STORAGE_RESERVE_BYTES) {
        throw new ApiError(507, 'insufficient_storage', 'the data volume does not have room for this upload right now; retry later', { 'Retry-After': '60', ...close });
      }
    }
    const reservation = await queue.reserve();
    if (!reservation) {
      const retry = queue.retryAfterSeconds();
      throw new ApiError(429, 'queue_full', `the analysis queue is full (${config.maxQueueSize} waiting); retry in about ${retry} s`, {
        'Retry-After': String(retry),
        ...close,
      });
    }
    const t0 = performance.now();
    try {
      const received = await receiveUpload(c.req.raw.body, { kind, contentType, maxBytes: config.maxUploadBytes, spoolPath: reservation.spoolPath });
      const fileName = received.fileName ?? cleanFileName(c.req.header('x-file-name'));
      const token = newToken();
      const reportId = newId();
      const ms = performance.now() - t0;
      logger.info('upload_received', {
        task: reservation.id,
        bytes: received.bytes,
        format: received.format,
        ms: Math.round(ms),
        mbPerSecond: Math.round((received.bytes / 1048576 / Math.max(ms, 1)) * 1000 * 10) / 10,
      });
      const job = await queue.submit(reservation, { fileName, bytes: received.bytes, reportId, tokenHash: hashToken(token), thresholds });
      const body = {
        task_id: job.id,
        status_url: `/api/status/${job.id}`,
        progress_url: `/api/progress/${job.id}`,
        report_url: `/api/reports/${reportId}`,
        share_url: `/r/${reportId}`,
        delete_token: token,
        status: job.state,
        position: job.position,
        bytes: received.bytes,
      };
      return c.json(body, 202, { ...NO_STORE, Location: body.status_url });
    } catch (e) {
      await reservation.release();
      if (e instanceof ApiError) {
        logger.info('upload_refused', { task: reservation.id, code: e.code });
        // The rest of the body was not read: close the connection rather than drain it.
        e.headers.Connection = 'close';
      } else if (c.req.raw.signal.aborted) {
        logger.info('upload_aborted', { task: reservation.id });
      } else if (isFsError(e)) {
        logger.error('upload_storage_failed', { task: reservation.id, code: e.code });
        throw new ApiError(
          e.code === 'ENOSPC' ? 507 : 503,
          e.code === 'ENOSPC' ? 'insufficient_storage' : 'storage_unavailable',
          e.code === 'ENOSPC' ? 'the data volume is full; retry later' : 'the server cannot store uploads right now',
          { 'Retry-After': '60', Connection: 'close' },
        );
      }
      throw e;
    }
  });

  const requireId = (c: Context<AppEnv>): string => {
    const id = c.req.param('id') ?? '';
    if (!isId(id)) throw new ApiError(400, 'bad_id', 'malformed id: ids are 22 characters from A–Z, a–z, 0–9, "_" and "-"');
    return id;
  };

  const jobBody = (s: JobStatus) => ({
    task_id: s.id,
    status: s.state,
    position: s.position,
    file_name: s.fileName,
    bytes: s.bytes,
    created_at: iso(s.createdAt),
    started_at: s.startedAt === null ? null : iso(s.startedAt),
    finished_at: s.finishedAt === null ? null : iso(s.finishedAt),
    progress: s.progress
      ? {
          bytes: s.progress.sourceBytes,
          total_bytes: s.progress.totalBytes || s.bytes,
          packets: s.progress.packets,
          elapsed_ms: Math.round(s.progress.elapsedMs),
          percent: Math.min(100, Math.round((s.progress.sourceBytes / Math.max(1, s.progress.totalBytes || s.bytes)) * 1000) / 10),
        }
      : null,
    report_id: s.reportId,
    report_url: `/api/reports/${s.reportId}`,
    share_url: `/r/${s.reportId}`,
    expires_at: s.expiresAt === null ? null : iso(s.expiresAt),
    error: s.error,
  });

  const findJob = async (c: Context<AppEnv>): Promise<JobStatus> => {
    const s = await queue.get(requireId(c));
    if (!s) throw new ApiError(404, 'task_not_found', `no task with this id (task records are kept ${ttlHours} hours)`);
    return s;
  };

  app.get('/api/status/:id', async (c) => c.json(jobBody(await findJob(c)), 200, NO_STORE));

  app.get('/api/progress/:id', async (c) => {
    const first = await findJob(c);
    if (sse.size >= MAX_PROGRESS_STREAMS) {
      throw new ApiError(503, 'too_many_streams', `too many progress streams are open; poll /api/status/${first.id} instead`, { 'Retry-After': '10' });
    }
    const encoder = new TextEncoder();
    let cleanup = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let closed = false;
        let lastSent = 0;
        let pending: NodeJS.Timeout | null = null;
        let latest = first;
        const send = (s: JobStatus) => {
          if (closed) return;
          lastSent = performance.now();
          controller.enqueue(encoder.encode(`event: ${s.state}\ndata: ${JSON.stringify(jobBody(s))}\n\n`));
          if (s.state === 'done' || s.state === 'failed') cleanup();
        };
        const heartbeat = setInterval(() => !closed && controller.enqueue(encoder.encode(': keep-alive\n\n')), 15_000);
        heartbeat.unref();
        let unsubscribe = () => {};
        cleanup = () => {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          if (pending) clearTimeout(pending);
          unsubscribe();
          sse.delete(cleanup);
          try {
            controller.close();
          } catch {
            // already closed by the client going away
          }
        };
        sse.add(cleanup);
        controller.enqueue(encoder.encode('retry: 2000\n\n'));
        send(first);
        if (closed) return;
        unsubscribe = queue.subscribe(first.id, (s) => {
          latest = s;
          // Progress at most four times a second; state changes at once.
          const isProgress = s.state === 'running' && s.progress !== null;
          if (!isProgress || performance.now() - lastSent >= 250) {
            if (pending) clearTimeout(pending);
            pending = null;
            send(s);
          } else if (!pending) {
            pending = setTimeout(() => {
              pending = null;
              send(latest);
            }, 250);
          }
        });
        // The job may have ended between the lookup and the subscription.
        void queue.get(first.id).then((s) => {
          if (s && (s.state === 'done' || s.state === 'failed')) send(s);
        });
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(stream, {
      status: 200,
      headers: { 'Content-Type': 'text/event-stream; charset=utf-8', ...NO_STORE, 'X-Accel-Buffering': 'no' },
    });
  });

  // --- Shared reports ------------------------------------------------------------------------------
  app.post('/api/reports', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'send the report as application/json', { Connection: 'close' });
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > MAX_REPORT_BYTES) {
      throw new ApiError(413, 'report_too_large', `a shared report may be at most ${MAX_REPORT_BYTES} bytes`, { Connection: 'close' });
    }
    rateLimit(c, 'share');
    const text = await readBodyText(c.req.raw.body, MAX_REPORT_BYTES);
    const parsed = parseReport(text);
    if (!parsed.ok) throw new ApiError(422, 'invalid_report', parsed.error);
    const token = newToken();
    // What is stored (and served) is the validator's output, not the bytes received.
    const meta = await reports.put(JSON.stringify(parsed.report), { tokenHash: hashToken(token), origin: 'share', now: now(), ttlMs: config.reportTtlMs });
    logger.info('report_shared', { report: meta.id, bytes: meta.bytes, migratedFrom: parsed.migratedFrom });
    return c.json(
      { id: meta.id, url: `/r/${meta.id}`, report_url: `/api/reports/${meta.id}`, expires_at: iso(meta.expiresAt), delete_token: token },
      201,
      { ...NO_STORE, Location: `/api/reports/${meta.id}` },
    );
  });

  app.get('/api/reports/:id', async (c) => {
    const id = requireId(c);
    const found = await reports.get(id, now());
    if (found.state === 'found') {
      const headers = {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(found.meta.bytes),
        ...NO_STORE,
        'X-Robots-Tag': 'noindex',
        'X-Report-Expires-At': iso(found.meta.expiresAt),
      };
      if (c.req.method === 'HEAD') {
        if (typeof found.body !== 'string') await found.body.cancel();
        return new Response(null, { status: 200, headers });
      }
      return new Response(found.body, { status: 200, headers });
    }
    if (found.state === 'expired') {
      throw new ApiError(410, 'report_expired', `this report expired at ${iso(found.meta.expiresAt)} (reports are kept ${ttlHours} hours)`);
    }
    const job = await queue.findByReport(id);
    if (job && (job.state === 'queued' || job.state === 'running')) {
      throw new ApiError(404, 'report_pending', `the analysis is ${job.state}; the report will be here when it is done (see /api/status/${job.id})`, {
        'Retry-After': '2',
      });
    }
    if (job && job.state === 'failed' && job.error) throw new ApiError(404, 'analysis_failed', `no report: ${job.error.message}`);
    throw new ApiError(404, 'report_not_found', `no report with this id (reports are deleted ${ttlHours} hours after they are created)`);
  });

  app.delete('/api/reports/:id', async (c) => {
    const id = requireId(c);
    const auth = c.req.header('authorization');
    const token = auth?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? c.req.header('x-delete-token');
    if (!token) {
      throw new ApiError(401, 'token_required', 'send the delete token as "Authorization: Bearer <token>" or "X-Delete-Token: <token>"', {
        'WWW-Authenticate': 'Bearer realm="pcap-analyzer"',
      });
    }
    const r = await reports.delete(id, token);
    if (r === 'missing') throw new ApiError(404, 'report_not_found', 'no report with this id');
    if (r === 'forbidden') throw new ApiError(403, 'bad_token', 'the delete token does not match this report');
    logger.info('report_deleted', { report: id });
    return c.body(null, 204, NO_STORE);
  });

  // Known endpoints called with the wrong method.
  const allow = (methods: string): MiddlewareHandler<AppEnv> => async (c) =>
    c.json(errorBody('method_not_allowed', `use ${methods.split(', ').join(' or ')}`), 405, { ...NO_STORE, Allow: methods });
  app.all('/api/upload', allow('POST'));
  app.all('/api/health', allow('GET, HEAD'));
  app.all('/api/health/live', allow('GET, HEAD'));
  app.all('/api/status/:id', allow('GET, HEAD'));
  app.all('/api/progress/:id', allow('GET'));
  app.all('/api/reports', allow('POST'));
  app.all('/api/reports/:id', allow('GET, HEAD, DELETE'));
  app.all('/api/*', (c) => c.json(errorBody('not_found', 'no such API endpoint'), 404, NO_STORE));

  // --- The browser app -----------------------------------------------------------------------------
  // Created once the build exists (serveStatic complains about a missing root at creation).
  let assets: MiddlewareHandler<AppEnv> | null = null;
  const staticFiles: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!assets && existsSync(config.appDir)) assets = serveStatic<AppEnv>({ root: config.appDir });
    if (!assets) return next();
    const res = await assets(c, next);
    if (res instanceof Response && res.status < 300) {
      // Vite's hashed bundles never change under one name; everything else is revalidated.
      res.headers.set('Cache-Control', c.req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    return res;
  };
  app.on(['GET', 'HEAD'], '*', staticFiles, async (c) => {
    // Client-side routes (/, /r/<id>, …) get the app shell; a missing file with an extension is a 404.
    if (/\.[A-Za-z0-9]{1,8}$/.test(c.req.path) && !c.req.path.startsWith('/r/')) {
      return c.text('not found', 404, { 'Cache-Control': 'no-cache' });
    }
    let html: string;
    try {
      html = await readFile(join(config.appDir, 'index.html'), 'utf8');
    } catch {
      return c.text('The web app is not built: run `npm run build` (the API under /api works without it).', 503, NO_STORE);
    }
    return c.html(html, 200, { 'Cache-Control': 'no-cache' });
  });

  const acceptsUploadHeaders = (method: string | undefined, path: string | undefined, contentLength: string | undefined): boolean => {
    if (method !== 'POST' || !path || !path.startsWith('/api/upload')) return true;
    return contentLength === undefined || Number(contentLength) <= config.maxUploadBytes + MULTIPART_OVERHEAD_BYTES;
  };

  return Object.assign(app, {
    ready,
    reports,
    queue,
    sweep,
    acceptsUploadHeaders,
    close: async () => {
      if (timer) clearInterval(timer);
      for (const end of [...sse]) end();
      await queue.close();
    },
  });
}

function isApi(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Request paths for logs: ids are capabilities (whoever has one can read the report), so they are masked. */
export function redactPath(path: string): string {
  return path
    .split('/')
    .map((seg) => (isId(seg) || seg.length > 64 ? ':id' : seg))
    .join('/')
    .slice(0, 200);
}

async function readBodyText(body: ReadableStream<Uint8Array> | null, max: number): Promise<string> {
  if (!body) throw new ApiError(400, 'empty_body', 'the request has no body');
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) throw new ApiError(413, 'report_too_large', `a shared report may be at most ${max} bytes`, { Connection: 'close' });
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ApiError(400, 'bad_encoding', 'the request body is not valid UTF-8');
  }
}

function isFsError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!);
}

async function dirWritable(dir: string): Promise<boolean> {
  const probe = join(dir, `.health-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
    await rm(probe, { force: true });
    return true;
  } catch {
    return false;
  }
}

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/**
 * The rate-limit key: the peer address, or behind a proxy (TRUST_PROXY) the address the nearest
 * proxy saw (the last X-Forwarded-For entry). IPv6 clients are keyed by their /64, which is what
 * one subscriber usually controls.
 */
export function defaultClientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  let addr: string | undefined;
  if (trustProxy) addr = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
  addr ||= c.env?.incoming?.socket?.remoteAddress;
  return addr ? rateKey(addr) : 'unknown';
}

export function rateKey(addr: string): string {
  const a = addr.trim().toLowerCase();
  const mapped = a.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return mapped[1];
  if (!a.includes(':')) return a.slice(0, 64);
  const [head, tail = ''] = a.split('%')[0].split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
