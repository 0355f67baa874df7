#!/usr/bin/env node
/**
 * Storage per span and per trace, read from the local state wrangler dev keeps in its
 * --persist-to directory (SQLite files, opened read-only with node:sqlite):
 *   - R2: the size of every `traces/<id>` object (compressed, as R2 bills it) over the spans of
 *     the traces the D1 index lists → bytes per span;
 *   - D1: bytes of every table and index (SQLite's dbstat: page bytes in use) over the number of
 *     indexed traces → index bytes per trace, with a per-table breakdown;
 *   - Durable Objects: rows and bytes a TraceAssembler holds per trace while the trace is in its
 *     late-span window (what its final deleteAll removes, billed as rows written).
 *
 * Standalone: `node bench/storage.mjs DIR` prints the figures for a state directory.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';

/** The one data file (not metadata.sqlite) of a miniflare storage namespace. */
function dataFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')
    .map((f) => join(dir, f));
}

const open = (file) => new DatabaseSync(file, { readOnly: true });

/** SQLite's own bookkeeping and D1's, not part of our schema. */
const INTERNAL = /^(sqlite_sequence|sqlite_schema|sqlite_master|d1_migrations|_cf_\w+|sqlite_autoindex_d1_migrations_\d+)$/;

function d1Figures(stateDir) {
  const [file] = dataFiles(join(stateDir, 'v3', 'd1', 'miniflare-D1DatabaseObject'));
  if (!file) throw new Error(`no D1 database under ${stateDir}`);
  const db = open(file);
  try {
    const traces = db.prepare('SELECT trace_id AS id, span_count AS spans FROM traces').all();
    const objects = db.prepare('SELECT name, sum(pgsize - unused) AS bytes FROM dbstat GROUP BY name').all();
    const owner = new Map(db.prepare("SELECT name, tbl_name AS t FROM sqlite_master WHERE type IN ('table', 'index')").all().map((r) => [r.name, r.t]));
    const tables = new Map();
    for (const o of objects) {
      if (INTERNAL.test(o.name)) continue;
      const table = owner.get(o.name) ?? o.name;
      if (INTERNAL.test(table)) continue;
      const t = tables.get(table) ?? { table, rows: 0, bytes: 0 };
      t.bytes += o.bytes;
      tables.set(table, t);
    }
    for (const t of tables.values()) t.rows = db.prepare(`SELECT count(*) AS n FROM "${t.table}"`).get().n;
    return { traces, tables: [...tables.values()].sort((a, b) => b.bytes - a.bytes) };
  } finally {
    db.close();
  }
}

function r2Sizes(stateDir) {
  const sizes = new Map();
  for (const file of dataFiles(join(stateDir, 'v3', 'r2', 'miniflare-R2BucketObject'))) {
    const db = open(file);
    try {
      for (const r of db.prepare("SELECT key, size FROM _mf_objects WHERE key LIKE 'traces/%'").all()) sizes.set(r.key.slice('traces/'.length), r.size);
    } finally {
      db.close();
    }
  }
  return sizes;
}

/** Rows each TraceAssembler holds, by the traceId in its meta table (what its deleteAll will remove). */
export function heldRowsByTrace(stateDir) {
  const out = new Map();
  for (const file of dataFiles(join(stateDir, 'v3', 'do', 'edgetrace-TraceAssembler'))) {
    const db = open(file);
    try {
      const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name);
      if (!names.includes('meta')) continue;
      const id = db.prepare("SELECT v FROM meta WHERE k = 'traceId'").get();
      if (!id) continue;
      let rows = 0;
      for (const name of names) if (!name.startsWith('_cf_') && !name.startsWith('sqlite_')) rows += db.prepare(`SELECT count(*) AS n FROM "${name}"`).get().n;
      out.set(JSON.parse(id.v), rows);
    } finally {
      db.close();
    }
  }
  return out;
}

/** Rows and bytes per TraceAssembler, over at most `sample` objects. */
function doFigures(stateDir, sample) {
  const files = dataFiles(join(stateDir, 'v3', 'do', 'edgetrace-TraceAssembler')).slice(0, sample);
  let objects = 0;
  let rows = 0;
  let spans = 0;
  let bytes = 0;
  for (const file of files) {
    const db = open(file);
    try {
      const names = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name));
      if (!names.has('batches')) continue;
      objects++;
      for (const name of names) if (!name.startsWith('_cf_') && !name.startsWith('sqlite_')) rows += db.prepare(`SELECT count(*) AS n FROM "${name}"`).get().n;
      const b = db.prepare("SELECT count(*) AS n, coalesce(sum(length(spans)), 0) AS bytes, coalesce(sum(length(span_ids) - length(replace(span_ids, ',', '')) + 1), 0) AS spans FROM batches").get();
      spans += b.spans;
      bytes += b.bytes;
    } finally {
      db.close();
    }
  }
  return { objects, rowsPerObject: objects ? rows / objects : NaN, bytesPerSpan: spans ? bytes / spans : NaN };
}

/**
 * Figures for a state directory. Traces counted are those both indexed in D1 and stored in R2.
 * @returns {{ traces: number, spans: number, r2BytesPerSpan: number, d1BytesPerTrace: number, d1Tables: { table: string, rows: number, bytes: number }[], durableObject: { objects: number, rowsPerObject: number, bytesPerSpan: number } }}
 */
export function measureStorage(stateDir, { doSample = 300 } = {}) {
  const d1 = d1Figures(stateDir);
  const r2 = r2Sizes(stateDir);
  let spans = 0;
  let r2Bytes = 0;
  let traces = 0;
  for (const t of d1.traces) {
    const size = r2.get(t.id);
    if (size === undefined) continue;
    traces++;
    spans += t.spans;
    r2Bytes += size;
  }
  const d1Bytes = d1.tables.reduce((s, t) => s + t.bytes, 0);
  return {
    traces,
    spans,
    r2BytesPerSpan: r2Bytes / spans,
    d1BytesPerTrace: d1Bytes / d1.traces.length,
    d1Tables: d1.tables,
    durableObject: doFigures(stateDir, doSample),
  };
}

export function formatStorage(s) {
  const lines = [
    `storage over ${s.traces} traces / ${s.spans} spans: R2 ${s.r2BytesPerSpan.toFixed(1)} bytes per span (compressed); D1 ${s.d1BytesPerTrace.toFixed(0)} bytes per trace (tables + indexes)`,
    `  D1 by table: ${s.d1Tables.map((t) => `${t.table} ${t.bytes} B/${t.rows} rows`).join(', ')}`,
    `  Durable Object while in the late-span window: ${s.durableObject.rowsPerObject.toFixed(1)} rows, ${s.durableObject.bytesPerSpan.toFixed(0)} bytes per span (over ${s.durableObject.objects} objects)`,
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node bench/storage.mjs STATE_DIR   (a wrangler dev --persist-to directory)');
    process.exit(2);
  }
  console.log(formatStorage(measureStorage(dir)));
}
