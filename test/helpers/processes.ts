/**
 * Starts real `keelson` processes for integration tests (collector, agent, up) on loopback
 * with free ports and temporary state, and waits for conditions with a deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(REPO_ROOT, 'bin/keelson.js');

/** A fresh temporary directory. */
export function tempDir(prefix = 'keelson-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Poll `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  timeoutMs: number,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A spawned keelson process with its output kept for diagnosis. */
export class KeelsonProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, KEELSON_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString('utf8')).slice(-200_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Send a signal and wait for the exit code (null when killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (!this.alive) return this.child.exitCode;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

export interface CollectorHandle {
  proc: KeelsonProcess;
  port: number;
  url: string;
  wsUrl: string;
  dataDir: string;
  token: string;
}

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** Start a collector process and wait until it answers /healthz. */
export async function startCollector(
  opts: { port?: number; dataDir?: string; config?: Record<string, unknown> } = {},
): Promise<CollectorHandle> {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? tempDir('keelson-collector-');
  const cfgPath = join(dataDir, 'collector.yaml');
  writeFileSync(cfgPath, stringify({ tokens: [TEST_TOKEN], ...opts.config }));
  const proc = new KeelsonProcess(['collector', '--config', cfgPath, '--port', String(port), '--data-dir', dataDir]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (!proc.alive) throw new Error(`collector exited: ${proc.output}`);
      return (await fetch(`${url}/healthz`)).ok;
    },
    15_000,
    'collector to listen',
  );
  return { proc, port, url, wsUrl: `ws://127.0.0.1:${port}/ws/agent`, dataDir, token: TEST_TOKEN };
}

/** Start an agent process with the given config (YAML written to a temp file). */
export function startAgent(config: Record<string, unknown>): { proc: KeelsonProcess; stateDir: string } {
  const stateDir = (config.stateDir as string | undefined) ?? tempDir('keelson-agent-');
  mkdirSync(stateDir, { recursive: true });
  const cfgPath = join(stateDir, 'agent.yaml');
  writeFileSync(cfgPath, stringify({ stateDir, ...config }));
  return { proc: new KeelsonProcess(['agent', '--config', cfgPath]), stateDir };
}

/** GET a collector JSON endpoint. */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
