/**
 * Runs one network test through the agents: the first node of the group that has a session
 * launches it (mpirun/srun across the group, or perftest pairs) and answers with the parsed,
 * judged result. A launcher that cannot be reached, or an agent that fails, is an `error` result.
 */
import type { CommandDispatcher } from '../commands.ts';
import { type TestKind, type TestResult, type TestRunner, testResultSchema } from './types.ts';

export class AgentTestRunner implements TestRunner {
  constructor(
    private readonly commands: Pick<CommandDispatcher, 'run'>,
    private readonly connected: (node: string) => boolean,
  ) {}

  async runTest(nodes: string[], kind: TestKind, timeoutMs: number): Promise<TestResult> {
    const started = Date.now();
    const error = (detail: string): TestResult => ({
      nodes,
      kind,
      outcome: 'error',
      detail,
      durationMs: Date.now() - started,
    });
    const launcher = nodes.find((n) => this.connected(n));
    if (!launcher) return error('no node of the group is connected to launch the test');
    try {
      const r = await this.commands.run(launcher, 'net.test', { nodes, kind, timeoutMs }, timeoutMs + 15_000);
      if (!r.ok) return error(`${launcher}: ${r.error ?? 'the test could not run'}`);
      const parsed = testResultSchema.safeParse(r.result);
      return parsed.success ? parsed.data : error(`${launcher} answered an unreadable result`);
    } catch (err) {
      return error(`${launcher}: ${(err as Error).message}`);
    }
  }
}
