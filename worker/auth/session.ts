/**
 * The site's read session: after the user types the read token once, the Worker sets a cookie
 * that holds an expiry and an HMAC of it keyed with the token — never the token itself, so no
 * response carries the secret. Rotating READ_TOKEN ends every session. The cookie is HttpOnly
 * (scripts cannot read it), SameSite=Strict (other sites cannot ride on it) and Secure over HTTPS.
 */

export const SESSION_COOKIE = 'edgetrace_session';
/** 30 days */
export const SESSION_SECONDS = 30 * 86_400;
const CONTEXT = 'edgetrace read session v1';

async function hmacKey(token: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(token), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

function b64url(bytes: ArrayBuffer): string {
  let bin = '';
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text: string): Uint8Array<ArrayBuffer> | null {
  // 4n+1 characters cannot be base64 (atob would throw)
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The cookie value for a session that ends at `expiresAtSec` (Unix seconds). */
export async function sessionValue(token: string, expiresAtSec: number): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(token), new TextEncoder().encode(`${CONTEXT}|${expiresAtSec}`));
  return `${expiresAtSec}.${b64url(mac)}`;
}

/** True when the cookie value was made with this token and has not expired. */
export async function verifySessionValue(value: string, token: string, nowSec: number): Promise<boolean> {
  const dot = value.indexOf('.');
  if (dot < 1) return false;
  const expiresText = value.slice(0, dot);
  if (!/^\d{1,12}$/.test(expiresText)) return false;
  const expiresAtSec = Number(expiresText);
  if (expiresAtSec <= nowSec) return false;
  const mac = fromB64url(value.slice(dot + 1));
  if (!mac) return false;
  return crypto.subtle.verify('HMAC', await hmacKey(token), mac, new TextEncoder().encode(`${CONTEXT}|${expiresAtSec}`));
}

/** One cookie's value from a Cookie header, or null. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The Set-Cookie header that starts (maxAgeSec > 0) or ends (0) a session. */
export function sessionCookieHeader(value: string, maxAgeSec: number, secure: boolean): string {
  const attrs = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSec}`];
  if (secure) attrs.push('Secure');
  return attrs.join('; ');
}
