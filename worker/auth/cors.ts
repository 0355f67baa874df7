/**
 * Which browser origins may call the ingest endpoints (OpenTelemetry's browser exporter posts
 * cross-origin from the page it instruments). CORS_ORIGINS lists them, comma-separated: exact
 * origins (`https://shop.example.com`), one-level wildcards (`https://*.example.com`), or `*`.
 * Empty (the default) allows none. Credentials are never sent by CORS: keys travel in headers.
 */

export type CorsOrigins = { any: true } | { any: false; exact: ReadonlySet<string>; suffixes: readonly { scheme: string; suffix: string }[] };

const ORIGIN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/;
const WILDCARD = /^(https?):\/\/\*\.([a-z0-9-]+(\.[a-z0-9-]+)+)(:\d{1,5})?$/;

export function parseCorsOrigins(text: string): CorsOrigins {
  const items = text
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/\/+$/, ''))
    .filter(Boolean);
  if (items.includes('*')) {
    if (items.length > 1) throw new Error("'*' allows every origin and cannot be combined with a list");
    return { any: true };
  }
  const exact = new Set<string>();
  const suffixes: { scheme: string; suffix: string }[] = [];
  for (const item of items) {
    const wild = WILDCARD.exec(item);
    if (wild) suffixes.push({ scheme: wild[1]!, suffix: `.${wild[2]}${wild[4] ?? ''}` });
    else if (ORIGIN.test(item)) exact.add(item);
    else throw new Error(`${JSON.stringify(item)} is not an origin (scheme://host[:port], https://*.domain, or *)`);
  }
  return { any: false, exact, suffixes };
}

/** The value for Access-Control-Allow-Origin, or null when the origin is not allowed. */
export function allowedOrigin(origins: CorsOrigins, origin: string | null | undefined): string | null {
  if (!origin) return null;
  if (origins.any) return '*';
  const o = origin.toLowerCase();
  if (origins.exact.has(o)) return origin;
  for (const { scheme, suffix } of origins.suffixes) {
    const prefix = `${scheme}://`;
    if (o.startsWith(prefix) && o.endsWith(suffix) && o.length > prefix.length + suffix.length && ORIGIN.test(o)) {
      const label = o.slice(prefix.length, o.length - suffix.length);
      if (!label.includes('.')) return origin;
    }
  }
  return null;
}
