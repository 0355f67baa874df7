/**
 * The Services page's state, all in its URL (`?lookback=6h&service=checkout`), and the search
 * links the page hands out: a click on a service, an operation or an edge opens the search with
 * the form already filled in.
 */
import { emptyQuery, queryToParams } from './search-query';

export const SERVICE_LOOKBACKS = ['15m', '1h', '6h', '24h'] as const;
export type ServiceLookback = (typeof SERVICE_LOOKBACKS)[number];

export const LOOKBACK_MS: Record<ServiceLookback, number> = { '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000 };
/** The search page spells a day `1d`. */
const SEARCH_LOOKBACK: Record<ServiceLookback, string> = { '15m': '15m', '1h': '1h', '6h': '6h', '24h': '1d' };

export interface ServicesState {
  lookback: ServiceLookback;
  /** the service whose instances and operations are open */
  service: string | null;
}

export function readServicesState(p: Pick<URLSearchParams, 'get'>): ServicesState {
  const lb = p.get('lookback');
  return {
    lookback: (SERVICE_LOOKBACKS as readonly string[]).includes(lb ?? '') ? (lb as ServiceLookback) : '1h',
    service: p.get('service') || null,
  };
}

export function writeServicesState(s: ServicesState): string {
  const p = new URLSearchParams();
  if (s.lookback !== '1h') p.set('lookback', s.lookback);
  if (s.service) p.set('service', s.service);
  const qs = p.toString();
  return qs ? `?${qs}` : '';
}

/** The search page, filled in for a service (and an operation, and errors only). */
export function searchLink(service: string, lookback: ServiceLookback, opts: { operation?: string; errorsOnly?: boolean } = {}): string {
  const q = { ...emptyQuery(), service, operation: opts.operation ?? '', lookback: SEARCH_LOOKBACK[lookback], errorsOnly: opts.errorsOnly === true };
  return `/?${queryToParams(q)}`;
}
