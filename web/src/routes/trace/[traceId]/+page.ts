/** Starts loading the trace; the page streams it (skeleton first), so navigation is instant. */
import { loadTrace } from '$lib/trace-source';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params, fetch }) => ({
  traceId: params.traceId,
  trace: loadTrace(params.traceId.toLowerCase(), fetch),
});
