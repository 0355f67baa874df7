/**
 * Service colours. A service's colour comes from a hash of its name, so it is the same on the
 * search list, the waterfall and the graph, and between two traces being compared.
 */

// Twenty hues picked to stay distinct from each other and readable on light and dark backgrounds.
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f',
  '#3b8bc2', '#d4a017', '#86bc45', '#c45ca2', '#2bb0a8', '#e15759', '#8a6fdf', '#bab0ac',
  '#1f9e89', '#e377c2', '#7f7f7f', '#17becf',
] as const;

export function serviceColor(service: string): string {
  if (service === '(missing)') return 'var(--placeholder)';
  // FNV-1a: cheap, and spreads similar names ("api", "api-2") apart.
  let h = 0x811c9dc5;
  for (let i = 0; i < service.length; i++) {
    h ^= service.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return PALETTE[(h >>> 0) % PALETTE.length]!;
}
