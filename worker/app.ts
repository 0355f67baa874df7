/**
 * The Hono app: one sub-app per route group, one onError that turns a typed error into the JSON
 * body the API promises (Jaeger's `{data, errors:[{code, msg}]}` envelope). In front of the routes:
 * CORS for browser exporters, access control (ingest key / read access) and per-key rate limits.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { allowedOrigin } from './auth/cors';
import { accessControl, authConfigOf, type AppEnv } from './auth/middleware';
import { INGEST_PATHS } from './auth/route-access';
import { session } from './auth/session-routes';
import { ConfigError } from './config';
import { ApiError, errorBody } from './http-error';
import { ingest } from './routes/ingest';
import { query } from './routes/query';
import { services } from './routes/services';
import { ingestRateLimit } from './rate-limit';

export const app = new Hono<AppEnv>();

// Browser exporters post cross-origin; preflights carry no credentials, so CORS runs first.
const ingestCors = cors({
  origin: (origin, c) => allowedOrigin(authConfigOf(c).corsOrigins, origin),
  allowMethods: ['POST', 'OPTIONS'],
  allowHeaders: ['content-type', 'content-encoding', 'authorization', 'x-api-key'],
  exposeHeaders: ['retry-after'],
  maxAge: 86_400,
});
for (const path of INGEST_PATHS) app.use(path, ingestCors);
app.use('*', accessControl);
app.use('*', ingestRateLimit);

app.get('/healthz', (c) => c.json({ ok: true }));
app.route('/', session);
app.route('/', ingest);
app.route('/', query);
app.route('/', services);

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
