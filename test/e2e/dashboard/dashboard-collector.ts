/**
 * Starts a real `keelson collector` process serving the dashboard, with the test token
 * accepted from agents and from operators.
 */
import { startCollector, TEST_TOKEN } from '../../helpers/processes.ts';

/** What the dashboard tests need of a running collector. */
export interface DashboardCollector {
  url: string;
  wsUrl: string;
  token: string;
  output(): string;
  stop(): Promise<void>;
}

/** A collector with the dashboard; `config` goes into its YAML file. */
export async function startDashboardCollector(config: Record<string, unknown> = {}): Promise<DashboardCollector> {
  const c = await startCollector({ config: { log: { level: 'warn' }, operatorTokens: [TEST_TOKEN], ...config } });
  return {
    url: c.url,
    wsUrl: c.wsUrl,
    token: c.token,
    output: () => c.proc.output,
    stop: async () => void (await c.proc.stop('SIGTERM')),
  };
}
