/**
 * `keelson analyze <file|dir>... [--as <kind>] [--json]`: runs the probes' own parsers and
 * rules over captured tool output, for postmortems and for checking the parsers against real
 * captures. Exit 0 when nothing is degraded or fatal, 1 when something is, 2 on unreadable input.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { trainingAnalyzers } from '../agent/training/analyzer.ts';
import { KeelsonError } from '../core/errors.ts';
import { type Observation, severityRank } from '../core/finding.ts';
import type { Analyzer } from '../probes/analyzer.ts';
import { gpuAnalyzers } from '../probes/gpu/analyzers.ts';
import { hostHwAnalyzers } from '../probes/host-hw/analyzers.ts';
import { kernelLogAnalyzers } from '../probes/kernel-log/analyzers.ts';
import { ncclAnalyzers } from '../probes/nccl/analyzers.ts';
import { nvmeAnalyzers } from '../probes/nvme/analyzers.ts';
import { rdmaAnalyzers } from '../probes/rdma/analyzers.ts';

/** Every analyzer, most specific first: the first whose sniff accepts a file wins. */
export const ANALYZERS: readonly Analyzer[] = [
  ...gpuAnalyzers,
  ...nvmeAnalyzers,
  ...rdmaAnalyzers,
  ...hostHwAnalyzers,
  ...ncclAnalyzers,
  ...kernelLogAnalyzers,
  ...trainingAnalyzers,
];

/** Largest file analyze reads. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;
const HEAD_BYTES = 64 * 1024;

/** One finding as `--json` prints it. */
export interface AnalyzedFinding {
  code: string;
  severity: string;
  component: string;
  action: string;
  message: string;
  evidence: string;
}

export interface AnalyzeResult {
  inputs: { path: string; kind: string }[];
  /** Files inside a folder that no analyzer recognised (a named file that is not recognised is an error). */
  skipped: { path: string; reason: string }[];
  findings: (AnalyzedFinding & { path: string })[];
}

function pick(o: Observation): AnalyzedFinding {
  return {
    code: o.code,
    severity: o.severity,
    component: o.component,
    action: o.action,
    message: o.message,
    evidence: o.evidence,
  };
}

function byKind(kind: string, analyzers: readonly Analyzer[]): Analyzer {
  const a = analyzers.find((x) => x.kind === kind);
  if (!a) {
    throw new KeelsonError(
      'NOT_FOUND',
      `unknown kind "${kind}"; known kinds: ${analyzers.map((x) => x.kind).join(', ')}`,
    );
  }
  return a;
}

async function analyzeFile(path: string, now: number, as: Analyzer | undefined, analyzers: readonly Analyzer[]) {
  const info = await stat(path);
  if (info.size > MAX_INPUT_BYTES) {
    throw new KeelsonError(
      'PARSE_FAILED',
      `${path}: ${info.size} bytes is more than analyze reads (${MAX_INPUT_BYTES})`,
    );
  }
  const text = (await readFile(path)).toString('utf8');
  const head = text.slice(0, HEAD_BYTES);
  const analyzer =
    as ?? analyzers.find((a): a is Extract<Analyzer, { input: 'text' }> => a.input === 'text' && a.sniff(head));
  if (!analyzer) {
    throw new KeelsonError('PARSE_FAILED', `${path}: not a format keelson recognises (name it with --as <kind>)`);
  }
  if (analyzer.input !== 'text')
    throw new KeelsonError('PARSE_FAILED', `${path}: --as ${analyzer.kind} needs a directory`);
  return { kind: analyzer.kind, observations: analyzer.analyze(text, now) };
}

async function analyzePath(
  path: string,
  now: number,
  as: Analyzer | undefined,
  analyzers: readonly Analyzer[],
  out: AnalyzeResult,
): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    throw new KeelsonError('PARSE_FAILED', `${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if (info.isDirectory()) {
    const dirAnalyzer =
      as?.input === 'dir'
        ? as
        : as
          ? undefined
          : await (async () => {
              for (const a of analyzers) if (a.input === 'dir' && (await a.sniffDir(path))) return a;
              return undefined;
            })();
    if (dirAnalyzer?.input === 'dir') {
      out.inputs.push({ path, kind: dirAnalyzer.kind });
      for (const o of await dirAnalyzer.analyzeDir(path, now)) out.findings.push({ ...pick(o), path });
      return;
    }
    // A folder of captures: analyze each file in it.
    for (const name of (await readdir(path)).sort()) {
      if (name.startsWith('.')) continue;
      try {
        await analyzePath(join(path, name), now, as, analyzers, out);
      } catch (err) {
        if (!(err instanceof KeelsonError) || err.code !== 'PARSE_FAILED') throw err;
        out.skipped.push({ path: join(path, name), reason: err.message.replace(`${join(path, name)}: `, '') });
      }
    }
    return;
  }
  const { kind, observations } = await analyzeFile(path, now, as, analyzers);
  out.inputs.push({ path, kind });
  for (const o of observations) out.findings.push({ ...pick(o), path });
}

/** Analyze every path. Throws a KeelsonError on unreadable or unrecognised input. */
export async function analyzePaths(
  paths: readonly string[],
  opts: { as?: string; now: number; analyzers?: readonly Analyzer[] },
): Promise<AnalyzeResult> {
  const analyzers = opts.analyzers ?? ANALYZERS;
  const as = opts.as ? byKind(opts.as, analyzers) : undefined;
  const out: AnalyzeResult = { inputs: [], skipped: [], findings: [] };
  for (const p of paths) await analyzePath(p, opts.now, as, analyzers, out);
  out.findings.sort((a, b) => severityRank(b.severity as never) - severityRank(a.severity as never));
  return out;
}

/** The exit code for a result: 1 when anything is degraded or fatal. */
export function analyzeExitCode(r: AnalyzeResult): 0 | 1 {
  return r.findings.some((f) => f.severity === 'degraded' || f.severity === 'fatal') ? 1 : 0;
}

/** Human-readable report. */
export function formatAnalyzeText(r: AnalyzeResult): string {
  const lines: string[] = [];
  for (const input of r.inputs) {
    const fs = r.findings.filter((f) => f.path === input.path);
    lines.push(
      `${input.path} (${input.kind}): ${fs.length ? `${fs.length} finding${fs.length > 1 ? 's' : ''}` : 'nothing found'}`,
    );
    for (const f of fs) {
      lines.push(
        `  ${f.severity.padEnd(8)} ${f.code} ${f.component} — ${f.message}${f.action !== 'none' ? ` [${f.action}]` : ''}`,
      );
    }
  }
  for (const s of r.skipped) lines.push(`${s.path}: skipped: ${s.reason}`);
  return `${lines.join('\n')}\n`;
}

/** The `--json` document: `{"findings":[{code,severity,component,action,message,evidence}], "inputs":[…]}`. */
export function formatAnalyzeJson(r: AnalyzeResult): string {
  return `${JSON.stringify({ findings: r.findings.map(({ path: _p, ...f }) => f), inputs: r.inputs })}\n`;
}
