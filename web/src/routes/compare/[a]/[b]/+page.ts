/** Loads both traces at once; the page streams them. */
import { loadTrace } from '$lib/trace-source';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params, fetch }) => ({
  a: params.a,
  b: params.b,
  traces: Promise.all([loadTrace(params.a.toLowerCase(), fetch), loadTrace(params.b.toLowerCase(), fetch)]),
});
