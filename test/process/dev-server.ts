/**
 * Runs edgetrace as a real process (`npm start` → wrangler dev on workerd) for tests that need
 * the whole thing: real exporters over HTTP, restarts, SIGKILL. Each server gets its own port and
 * state directory; `stop()` kills the process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DevServer {
  url: string;
  port: number;
  stateDir: string;
  /** everything the process printed, for failure messages */
  output(): string;
  /** SIGTERM (or the given signal) to the whole process group; resolves when it has exited */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function newStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'edgetrace-state-'));
}

export function removeStateDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function startDevServer(opts: { vars?: Record<string, string>; stateDir?: string; port?: number } = {}): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const stateDir = opts.stateDir ?? newStateDir();
  const vars = { SAMPLE_RATE: '1', TRACE_IDLE_SECONDS: '1', ...opts.vars };
  const args = ['scripts/start.mjs', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', stateDir, '--show-interactive-dev-session=false'];
  for (const [k, v] of Object.entries(vars)) args.push('--var', `${k}:${v}`);
  const child: ChildProcess = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EDGETRACE_SKIP_WEB_BUILD: process.env.EDGETRACE_SKIP_WEB_BUILD ?? '1', NO_COLOR: '1', CI: 'true' },
  });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`edgetrace exited early (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`edgetrace did not answer /healthz within 120 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port,
    stateDir,
    output: () => log,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
        await exited;
      }
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
