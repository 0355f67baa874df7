/** The Worker entry: the Hono app for requests, the cron for retention, and the DO class export. */
import { app } from './app';

export { TraceAssembler } from '../durable/trace-assembler';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
