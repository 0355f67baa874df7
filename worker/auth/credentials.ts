/**
 * Where a request carries its secret. Ingest keys: `Authorization: Bearer <key>` (OTLP exporters,
 * the collector's bearer-token auth) or `x-api-key: <key>` (exporters that only take a plain
 * header). Read tokens: `Authorization: Bearer <token>`, or Basic auth with the token as password
 * (Grafana's data source settings offer Basic auth), or the site's session cookie (session.ts).
 */

function authorization(headers: Headers): { scheme: string; value: string } | null {
  const raw = headers.get('authorization');
  if (!raw) return null;
  const at = raw.trim().indexOf(' ');
  if (at < 0) return null;
  return { scheme: raw.trim().slice(0, at).toLowerCase(), value: raw.trim().slice(at + 1).trim() };
}

/** The ingest key a request presents, or null when it presents none. */
export function ingestCredential(headers: Headers): string | null {
  const auth = authorization(headers);
  if (auth?.scheme === 'bearer' && auth.value) return auth.value;
  const apiKey = headers.get('x-api-key')?.trim();
  return apiKey ? apiKey : null;
}

/** The read token a request presents in a header, or null. */
export function readCredential(headers: Headers): string | null {
  const auth = authorization(headers);
  if (!auth || !auth.value) return null;
  if (auth.scheme === 'bearer') return auth.value;
  if (auth.scheme === 'basic') {
    let decoded: string;
    try {
      decoded = atob(auth.value);
    } catch {
      return null; // not base64: no credential, the request is treated as anonymous
    }
    const colon = decoded.indexOf(':');
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    return password || null;
  }
  return null;
}

/**
 * Compares two secrets in time that does not depend on where they differ: both are hashed first,
 * so the comparison also leaks nothing about their lengths.
 */
export async function secretsEqual(presented: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', enc.encode(presented)),
    crypto.subtle.digest('SHA-256', enc.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}
