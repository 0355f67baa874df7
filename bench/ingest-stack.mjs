/**
 * Starts and stops the processes the stack benches measure: edgetrace under `npm start`
 * (scripts/start.mjs → wrangler dev on workerd, local D1/R2/DO in a temporary --persist-to
 * directory) and the hello-world Worker under plain wrangler dev. Each runs in its own process
 * group; `stop()` ends that group and removes the state directory. The operation counts the
 * TraceAssemblers log as JSON lines are collected as `events()`.
 *
 * It also keeps the list of what a bench run started and has not cleaned up yet (process groups,
 * directories), so that bench/run.mjs can end and remove all of it on every exit path:
 * `cleanUpAll()` (SIGTERM, a grace period, then SIGKILL) and `cleanUpAllNow()` (SIGKILL, for
 * process 'exit' where nothing asynchronous runs any more).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';

/**
 * Where to keep local state: tmpfs when there is one. workerd runs every local Durable Object on
 * one thread, each with its own SQLite file, so on a disk whose synchronous writes take
 * milliseconds the ingest figures would measure the disk.
 */
export const FAST_STATE_ROOT = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

// Process groups and directories ----------------------------------------------------------

/** What this process started and has not cleaned up yet. */
const live = { groups: new Set(), dirs: new Set(), closing: false };

/** A process group (its leader's pid) to end if the run stops early. */
export const trackGroup = (pid) => void live.groups.add(pid);
/** A directory to remove if the run stops early; returns it. */
export const trackDir = (dir) => (live.dirs.add(dir), dir);
export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  live.dirs.delete(dir);
}
/** True once a clean-up of everything began: nothing new may be started after it. */
export const closing = () => live.closing;

/** Sends `signal` to the group; false when the group has no process left. */
function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (err.code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * The processes under `roots` (the roots too) and the groups to signal, read before anything is
 * signalled: once a parent dies its children are re-parented and the tree is lost. A child that
 * put itself in a group of its own (a bench starting its own `npm start`, detached) is found this
 * way, where signalling the root's group alone would miss it. A root's group counts while any
 * process is in it, even when the root itself has exited (a workerd it started may still run).
 * This process's own group is never signalled: it holds the terminal's npm and shell.
 */
function processTree(roots) {
  const ps = spawnSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,args='], { encoding: 'utf8' });
  if (ps.status !== 0) return { tree: [], groups: roots };
  const rows = ps.stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter(Boolean)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), args: m[4] }));
  // A root counts only while it still leads its group: its pid may have been reused since.
  const tree = rows.filter((r) => roots.includes(r.pid) && r.pgid === r.pid);
  for (let i = 0; i < tree.length; i++) for (const r of rows) if (r.ppid === tree[i].pid && !tree.includes(r)) tree.push(r);
  const own = rows.find((r) => r.pid === process.pid)?.pgid;
  const inUse = new Set(rows.map((r) => r.pgid));
  const groups = [...new Set([...roots.filter((g) => inUse.has(g)), ...tree.map((r) => r.pgid)])].filter((g) => g !== own && g > 1);
  return { tree, groups };
}

/**
 * State directories that processes of the tree were given (`--persist-to DIR`) and that a bench
 * made for itself in the temporary dirs (`edgetrace-*`). A bench stopped at its time budget, such
 * as ops-per-trace.mjs with its own `npm start`, has no chance to remove its own.
 */
function strayStateDirs(tree) {
  const roots = [resolve(tmpdir()), resolve(FAST_STATE_ROOT)];
  const dirs = new Set();
  for (const { args } of tree)
    for (const m of args.matchAll(/--persist-to(?:=|\s+)(\S+)/g)) {
      const dir = resolve(m[1]);
      if (roots.includes(dirname(dir)) && basename(dir).startsWith('edgetrace-')) dirs.add(dir);
    }
  return [...dirs];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Whether any of the groups still has a running process. Zombies do not count: an orphan whose
 * new parent does not reap it (pid 1 in some containers) stays one, but holds nothing.
 */
function anyRunning(groups) {
  const ps = spawnSync('ps', ['-A', '-o', 'pgid=,stat='], { encoding: 'utf8' });
  if (ps.status !== 0) return groups.some((g) => signalGroup(g, 0));
  return ps.stdout.split('\n').some((line) => {
    const [pgid, stat] = line.trim().split(/\s+/);
    return groups.includes(Number(pgid)) && !stat?.startsWith('Z');
  });
}

async function untilGone(groups, ms) {
  const deadline = Date.now() + ms;
  while (groups.length && anyRunning(groups) && Date.now() < deadline) await sleep(200);
}

/**
 * Ends the process groups led by `roots` and every group their descendants started: SIGTERM,
 * so that wrangler stops workerd and run-ts.mjs removes its bundle, then SIGKILL after `graceMs`.
 * Then removes the state directories those processes were given. Safe on groups already gone.
 */
export async function endProcesses(roots, graceMs = 10_000) {
  const { tree, groups } = processTree(roots);
  for (const g of groups) signalGroup(g, 'SIGTERM');
  await untilGone(groups, graceMs);
  for (const g of groups) signalGroup(g, 'SIGKILL');
  await untilGone(groups, 5000);
  for (const dir of strayStateDirs(tree)) rmSync(dir, { recursive: true, force: true });
  // untracked once gone: a pid that ended may be reused by someone else's process group
  for (const pid of roots) live.groups.delete(pid);
}

/** Everything tracked: groups ended gracefully, directories removed. Nothing starts afterwards. */
export async function cleanUpAll(graceMs = 10_000) {
  live.closing = true;
  const groups = [...live.groups];
  if (groups.length) await endProcesses(groups, graceMs);
  for (const dir of [...live.dirs]) removeDir(dir);
}

/**
 * The same, synchronously, for process 'exit' (an error or process.exit ended the run): SIGKILL,
 * since no grace period can be awaited there.
 */
export function cleanUpAllNow() {
  live.closing = true;
  const groups = [...live.groups];
  if (groups.length) {
    const { tree, groups: all } = processTree(groups);
    for (const g of all) signalGroup(g, 'SIGKILL');
    // let the kernel take the killed processes down before their directories go
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    for (const dir of strayStateDirs(tree)) rmSync(dir, { recursive: true, force: true });
  }
  live.groups.clear();
  for (const dir of [...live.dirs]) removeDir(dir);
}

// The stacks -------------------------------------------------------------------------------

/** wrangler needs Node 22: the children get the node that runs this script first on PATH. */
const childEnv = () => ({
  ...process.env,
  PATH: [dirname(process.execPath), join(process.cwd(), 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  EDGETRACE_SKIP_WEB_BUILD: process.env.EDGETRACE_SKIP_WEB_BUILD ?? '1',
  NO_COLOR: '1',
  CI: 'true',
});

/**
 * @param {string[]} args node arguments
 * @param {{ port: number, ready: string, stateDir: string, what: string, alsoRemove?: string[] }} opts
 */
async function launch(args, opts) {
  if (closing()) {
    for (const dir of [opts.stateDir, ...(opts.alsoRemove ?? [])]) removeDir(dir);
    throw new Error(`${opts.what} not started: the bench is stopping`);
  }
  for (const dir of opts.alsoRemove ?? []) trackDir(dir);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  trackGroup(child.pid);
  let log = '';
  let partial = '';
  /** the JSON events the TraceAssemblers log (`trace.flush`, `trace.forget`, with counted operations) */
  const events = [];
  const keep = (d) => {
    log = (log + d).slice(-20_000);
    const lines = (partial + d).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{"event":"trace.')) events.push(JSON.parse(line));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = `http://127.0.0.1:${opts.port}`;
  // The whole group, even when the leader is gone: a workerd it started may still be running.
  const stop = async () => {
    await endProcesses([child.pid]);
    await exited;
    for (const dir of [opts.stateDir, ...(opts.alsoRemove ?? [])]) removeDir(dir);
  };
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${opts.what} exited early (${child.exitCode}):\n${log}`);
    }
    try {
      const res = await fetch(`${url}${opts.ready}`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 120_000) {
      await stop();
      throw new Error(`${opts.what} did not answer ${opts.ready} within 120 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stateDir: opts.stateDir, startupMs: Date.now() - started, output: () => log, events: () => events, stop };
}

const stateDir = (tag, root = tmpdir()) => trackDir(mkdtempSync(join(root, `edgetrace-bench-${tag}-`)));

/**
 * edgetrace as `npm start -- --port P --persist-to DIR --var ...` would run it. `stateRoot` puts
 * the state directory elsewhere than the system's temp dir (for example on tmpfs).
 * @param {{ port: number, vars?: Record<string, string>, stateRoot?: string }} opts
 */
export function startEdgetrace(opts) {
  const dir = stateDir('stack', opts.stateRoot);
  const args = ['scripts/start.mjs', '--port', String(opts.port), '--ip', '127.0.0.1', '--persist-to', dir, '--show-interactive-dev-session=false'];
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('--var', `${k}:${v}`);
  return launch(args, { port: opts.port, ready: '/healthz', stateDir: dir, what: 'edgetrace' });
}

/** The hello-world Worker (bench/hello-worker) under wrangler dev on the same runtime. */
export function startHelloWorker(opts) {
  const dir = stateDir('hello', opts.stateRoot);
  const args = [
    'node_modules/wrangler/bin/wrangler.js',
    'dev',
    '--config',
    'bench/hello-worker/wrangler.toml',
    '--port',
    String(opts.port),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    dir,
    '--show-interactive-dev-session=false',
  ];
  // wrangler keeps its build output beside the config it was given
  return launch(args, { port: opts.port, ready: '/', stateDir: dir, what: 'hello-world Worker', alsoRemove: ['bench/hello-worker/.wrangler'] });
}
