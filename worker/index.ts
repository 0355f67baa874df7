/** The Worker entry: the Hono app for requests, the cron for retention, and the DO class exports. */
import { app } from './app';
import { runRetention } from './retention';

export { TraceAssembler } from '../durable/trace-assembler';
export { RateLimiter } from '../durable/rate-limiter';
export { ServiceMetrics } from '../durable/service-metrics';

export default {
  fetch: app.fetch,
  // The only cron is retention; a failed run throws, so the dashboard shows it failed, and the
  // next run resumes from the saved cursor.
  async scheduled(controller, env) {
    const r = await runRetention(env, controller.scheduledTime);
    console.log(
      `retention: deleted ${r.deletedTraces} trace(s), ${r.deletedOperations} operation(s) and ${r.deletedServiceRows} service row(s) older than ${new Date(r.cutoffMs).toISOString()} in ${r.batches} batch(es)${r.passDone ? '' : '; more next run'}`,
    );
  },
} satisfies ExportedHandler<Env>;
