/**
 * Cloudflare Access: when the site and API sit behind an Access application, Access signs every
 * request it lets through with a JWT in `Cf-Access-Jwt-Assertion`. The Worker checks it itself
 * (a request could reach the Worker another way, e.g. a workers.dev route): RS256 signature by one
 * of the team's current keys, issuer = the team domain, audience = the application's AUD tag, and
 * the token's lifetime. Keys come from a `KeyResolver` (jwks.ts caches the team's certs endpoint).
 */

export interface AccessSettings {
  /** `<team>.cloudflareaccess.com` */
  teamDomain: string;
  /** the Access application's Application Audience (AUD) tag */
  aud: string;
}

export interface AccessClaims {
  iss: string;
  aud: string | string[];
  exp: number;
  nbf?: number;
  iat?: number;
  sub?: string;
  email?: string;
}

/** Resolves a `kid` from the token header to the team's verification key (null when unknown). */
export type KeyResolver = (kid: string) => Promise<CryptoKey | null>;

export class AccessJwtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessJwtError';
  }
}

/** Clock tolerance between Access and the edge, in seconds. */
const LEEWAY_SECONDS = 60;

export const accessIssuer = (s: AccessSettings) => `https://${s.teamDomain}`;
export const accessCertsUrl = (s: AccessSettings) => `https://${s.teamDomain}/cdn-cgi/access/certs`;

function b64urlBytes(part: string, what: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(part) || part.length % 4 === 1) throw new AccessJwtError(`${what} is not base64url`);
  const bin = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function jsonPart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(b64urlBytes(part, what)));
  } catch (err) {
    if (err instanceof AccessJwtError) throw err;
    throw new AccessJwtError(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AccessJwtError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Verifies the token and returns its claims; throws AccessJwtError saying what is wrong. */
export async function verifyAccessJwt(token: string, settings: AccessSettings, resolveKey: KeyResolver, nowSec: number): Promise<AccessClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new AccessJwtError('token is not a JWT (header.payload.signature)');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = jsonPart(headerPart, 'JWT header');
  // Only RS256: accepting the header's own choice (none, HS256 with the public key) is the classic hole.
  if (header.alg !== 'RS256') throw new AccessJwtError(`JWT algorithm ${JSON.stringify(header.alg)} is not RS256`);
  if (typeof header.kid !== 'string' || header.kid === '') throw new AccessJwtError('JWT header has no kid');
  const key = await resolveKey(header.kid);
  if (!key) throw new AccessJwtError(`JWT is signed by key ${JSON.stringify(header.kid)}, which is not one of the team's keys`);
  const signature = b64urlBytes(signaturePart, 'JWT signature');
  const signed = new TextEncoder().encode(`${headerPart}.${payloadPart}`);
  if (!(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, signed))) throw new AccessJwtError('JWT signature is invalid');

  const claims = jsonPart(payloadPart, 'JWT payload');
  if (claims.iss !== accessIssuer(settings)) throw new AccessJwtError(`JWT issuer ${JSON.stringify(claims.iss)} is not ${accessIssuer(settings)}`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(settings.aud)) throw new AccessJwtError('JWT audience is not this application (ACCESS_AUD)');
  if (typeof claims.exp !== 'number') throw new AccessJwtError('JWT has no exp');
  if (claims.exp + LEEWAY_SECONDS <= nowSec) throw new AccessJwtError('JWT has expired');
  if (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_SECONDS > nowSec) throw new AccessJwtError('JWT is not valid yet');
  return claims as unknown as AccessClaims;
}
