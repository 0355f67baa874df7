/**
 * The Hono app: one sub-app per route group, one onError that turns a typed error into the JSON
 * body the API promises (Jaeger's `{data, errors:[{code, msg}]}` envelope).
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ConfigError } from './config';
import { ApiError, errorBody } from './http-error';
import { ingest } from './routes/ingest';
import { query } from './routes/query';

export const app = new Hono<{ Bindings: Env }>();

app.get('/healthz', (c) => c.json({ ok: true }));
app.route('/', ingest);
app.route('/', query);

app.notFound((c) => c.json(errorBody(404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));

app.onError((err, c) => {
  if (err instanceof ApiError) return c.json(errorBody(err.status, err.message), err.status, err.headers);
  if (err instanceof HTTPException) return c.json(errorBody(err.status, err.message), err.status);
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    return c.json(errorBody(500, `server misconfigured: ${err.message}`), 500);
  }
  console.error(`unhandled error on ${c.req.method} ${c.req.path}: ${err.stack ?? String(err)}`);
  return c.json(errorBody(500, 'internal error'), 500);
});
