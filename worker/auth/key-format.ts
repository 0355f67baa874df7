/**
 * Ingest keys: what one looks like, how it is hashed, and what names and service scopes are valid.
 *
 * A key is `etk_` + 43 base64url characters (32 random bytes). It is shown once when created and
 * only its SHA-256 is stored: a key carries 256 bits of entropy, so a fast hash is enough (a slow
 * password hash protects guessable secrets, which these are not). The fixed prefix lets secret
 * scanners recognise a leaked key. Shared by the Worker (Web Crypto) and the keys CLI.
 */

export const KEY_PREFIX = 'etk_';
const KEY_RANDOM_BYTES = 32;
/** base64url of 32 bytes, unpadded */
const KEY_BODY_LENGTH = 43;
const KEY_PATTERN = /^etk_[A-Za-z0-9_-]{43}$/;

/** Key names: what `keys create NAME` accepts (safe in SQL, shell and URLs without quoting). */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Service names a key may be scoped to: any printable text without commas (the CLI separator). */
const SERVICE_PATTERN = /^[^\s,\u0000-\u001f][^,\u0000-\u001f]{0,254}$/;

function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh random key (32 bytes from the platform's CSPRNG). */
export function generateIngestKey(): string {
  const key = `${KEY_PREFIX}${base64url(crypto.getRandomValues(new Uint8Array(KEY_RANDOM_BYTES)))}`;
  if (key.length !== KEY_PREFIX.length + KEY_BODY_LENGTH) throw new Error('key generation produced a malformed key');
  return key;
}

/** True when the text has the shape of a key (checked before any hashing or D1 lookup). */
export function isIngestKeyFormat(text: string): boolean {
  return KEY_PATTERN.test(text);
}

/** The part of a key that may be shown in listings and logs: the prefix and 4 characters. */
export function keyHint(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 4)}…`;
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const b of view) out += b.toString(16).padStart(2, '0');
  return out;
}

/** SHA-256 of the key's UTF-8 bytes, lower-case hex: what D1 stores and looks keys up by. */
export async function hashIngestKey(key: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
}

export function checkKeyName(name: string): string {
  if (!KEY_NAME_PATTERN.test(name))
    throw new Error(`key name ${JSON.stringify(name)} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  return name;
}

/** Parses `a,b,c` into a sorted, de-duplicated service list; refuses empty or malformed names. */
export function parseServiceList(text: string): string[] {
  const services = text.split(',').map((s) => s.trim());
  for (const s of services)
    if (!SERVICE_PATTERN.test(s)) throw new Error(`service name ${JSON.stringify(s)} must be 1 to 255 printable characters without commas`);
  return [...new Set(services)].sort();
}
