/**
 * The browser side of read access: the one TokenGate of the page, over `document.cookie`, whose
 * question is answered by the ReadTokenDialog component (which listens with `onTokenQuestion`).
 */
import { TokenGate, tokenCookie, tokenFromCookies, type AskReason } from './read-token';

export interface TokenQuestion {
  reason: AskReason;
  answer: (token: string | null) => void;
}

let listener: ((q: TokenQuestion) => void) | null = null;

/** The dialog registers here; returns the function that unregisters it. */
export function onTokenQuestion(show: (q: TokenQuestion) => void): () => void {
  listener = show;
  return () => {
    if (listener === show) listener = null;
  };
}

const https = () => location.protocol === 'https:';

export const readAccess = new TokenGate(
  {
    get: () => tokenFromCookies(document.cookie),
    set: (token) => {
      document.cookie = tokenCookie(token, https());
    },
  },
  // With no dialog on the page (it mounts with the layout) there is nobody to ask.
  (reason) => new Promise((resolve) => (listener ? listener({ reason, answer: resolve }) : resolve(null))),
);
