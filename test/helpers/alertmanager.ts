/**
 * Starts a real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port with a
 * temp storage path and clustering off, routing every alert to a webhook receiver this helper
 * serves, so tests see both Alertmanager's view (GET /api/v2/alerts) and its notifications
 * (firing, then resolved).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { freePort, tempDir, waitFor } from './processes.ts';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export function alertmanagerAvailable(): boolean {
  return existsSync(ALERTMANAGER_BIN);
}

/** One webhook notification as Alertmanager sends it. */
export interface AmNotification {
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string }[];
}

export interface AlertmanagerHandle {
  url: string;
  /** Alerts Alertmanager holds (active, not resolved). */
  alerts(): Promise<{ labels: Record<string, string>; status: { state: string }; endsAt: string }[]>;
  notifications: AmNotification[];
  output(): string;
  stop(): Promise<void>;
}

export async function startAlertmanager(): Promise<AlertmanagerHandle> {
  const dir = tempDir('keelson-am-');
  const notifications: AmNotification[] = [];
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        notifications.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {}
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookPort = (receiver.address() as { port: number }).port;
  const port = await freePort();
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: hook',
      "  group_by: ['alertname', 'node', 'code']",
      '  group_wait: 100ms',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: hook',
      '    webhook_configs:',
      `      - url: http://127.0.0.1:${hookPort}/hook`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (b: Buffer) => {
    output = (output + b.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const handle: AlertmanagerHandle = {
    url,
    notifications,
    output: () => output,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`);
      return (await res.json()) as Awaited<ReturnType<AlertmanagerHandle['alerts']>>;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }
      await new Promise<void>((r) => receiver.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 15_000, 'alertmanager ready');
  } catch (err) {
    await handle.stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return handle;
}
