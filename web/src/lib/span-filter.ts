/**
 * The trace page's span filter. The text is split on spaces; every term must match (AND).
 * `key=value` matches a span or resource attribute exactly (value `*` matches any value);
 * `key!=value` excludes; any other term is a case-insensitive substring of the service,
 * operation, span id or an attribute value.
 */
import type { JaegerTag } from './jaeger';
import type { ViewSpan } from './trace-model';

export type FilterTerm =
  | { kind: 'text'; text: string }
  | { kind: 'attr'; key: string; value: string; negate: boolean };

export function parseFilter(input: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  // Quotes keep spaces inside a term: http.route="/api/a b"
  const re = /(?:[^\s"]+|"[^"]*")+/g;
  for (const m of input.matchAll(re)) {
    const raw = m[0].replace(/"/g, '');
    const ne = raw.indexOf('!=');
    const eq = raw.indexOf('=');
    if (ne > 0) terms.push({ kind: 'attr', key: raw.slice(0, ne), value: raw.slice(ne + 2), negate: true });
    else if (eq > 0) terms.push({ kind: 'attr', key: raw.slice(0, eq), value: raw.slice(eq + 1), negate: false });
    else if (raw) terms.push({ kind: 'text', text: raw.toLowerCase() });
  }
  return terms;
}

const tagMatches = (tags: JaegerTag[], key: string, value: string) =>
  tags.some((t) => t.key === key && (value === '*' || String(t.value) === value));

function termMatches(span: ViewSpan, term: FilterTerm): boolean {
  if (term.kind === 'attr') {
    const has =
      (term.key === 'service' && (term.value === '*' || span.service === term.value)) ||
      (term.key === 'operation' && (term.value === '*' || span.operation === term.value)) ||
      tagMatches(span.tags, term.key, term.value) ||
      tagMatches(span.process.tags, term.key, term.value);
    return term.negate ? !has : has;
  }
  const t = term.text;
  if (span.service.toLowerCase().includes(t) || span.operation.toLowerCase().includes(t)) return true;
  if (span.spanId.startsWith(t)) return true;
  for (const tag of span.tags) if (String(tag.value).toLowerCase().includes(t)) return true;
  return false;
}

/** A predicate for the parsed terms, or null when there is nothing to filter by. */
export function spanMatcher(terms: FilterTerm[]): ((span: ViewSpan) => boolean) | null {
  if (terms.length === 0) return null;
  return (span) => !span.placeholder && terms.every((t) => termMatches(span, t));
}
