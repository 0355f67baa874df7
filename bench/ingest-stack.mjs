/**
 * Starts and stops the processes the stack benches measure: edgetrace under `npm start`
 * (scripts/start.mjs → wrangler dev on workerd, local D1/R2/DO in a temporary --persist-to
 * directory) and the hello-world Worker under plain wrangler dev. Each runs in its own process
 * group; `stop()` ends that group and removes the state directory. The operation counts the
 * TraceAssemblers log as JSON lines are collected as `events()`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

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
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
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
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGTERM');
      const killer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    for (const dir of [opts.stateDir, ...(opts.alsoRemove ?? [])]) rmSync(dir, { recursive: true, force: true });
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

/**
 * Where to keep local state: tmpfs when there is one. workerd runs every local Durable Object on
 * one thread, each with its own SQLite file, so on a disk whose synchronous writes take
 * milliseconds the ingest figures would measure the disk.
 */
export const FAST_STATE_ROOT = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

const stateDir = (tag, root = tmpdir()) => mkdtempSync(join(root, `edgetrace-bench-${tag}-`));

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
