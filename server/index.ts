import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';

/** Minimal host until the server issue lands: the built app and a health probe. */
const port = Number(process.env.PORT ?? 8000);
const app = new Hono();
const started = Date.now();
app.get('/api/health', (c) => c.json({ status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) }));
app.use('/*', serveStatic({ root: './dist/app' }));
app.get('*', serveStatic({ path: './dist/app/index.html' }));

serve({ fetch: app.fetch, port, hostname: process.env.HOST ?? '0.0.0.0' }, (info) => {
  process.stdout.write(`${JSON.stringify({ level: 'INFO', msg: 'listening', url: `http://localhost:${info.port}` })}\n`);
});
