import { Hono } from 'hono';
export { TraceAssembler } from '../durable/trace-assembler';

const app = new Hono<{ Bindings: Env }>();
app.get('/healthz', (c) => c.json({ ok: true }));

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
