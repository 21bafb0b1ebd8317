/**
 * bench/RESULTS.md as data: a header naming the machine and date, then one section per bench
 * between `<!-- bench:<name> -->` markers, so one run can replace its own section and keep the
 * others. Pure functions; the scripts do the file I/O.
 */
import { meetsGoal } from './goals.ts';
import type { MachineInfo } from './machine.ts';

/** One bench's outcome: its figures (the JSON it printed) or why it failed. */
export interface BenchOutcome {
  name: string;
  /** The command that produced it. */
  command: string;
  figures?: Record<string, unknown>;
  error?: string;
  goals: Record<string, string>;
  date: string;
  machine: MachineInfo;
}

/** One line naming the machine. */
export function machineLine(m: MachineInfo): string {
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB memory, Node ${m.node}`;
}

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (typeof v === 'string') return v.replace(/\|/g, '\\|');
  return `\`${JSON.stringify(v).replace(/\|/g, '\\|')}\``;
}

/** The markdown of one bench's section, markers included. */
export function renderSection(o: BenchOutcome): string {
  const lines = [`<!-- bench:${o.name} -->`, `### ${o.name}`, ''];
  lines.push(`\`${o.command}\` — ${o.date}, ${machineLine(o.machine)}`, '');
  if (o.error !== undefined) {
    lines.push(`**Failed:** ${o.error.trim().split('\n').slice(-5).join(' / ')}`);
  } else {
    lines.push('| figure | value | goal | met |', '|---|---|---|---|');
    for (const [k, v] of Object.entries(o.figures ?? {})) {
      if (k === 'goals' || k === 'notes') continue;
      const goal = o.goals[k];
      const met = goal === undefined ? undefined : meetsGoal(v, goal);
      lines.push(`| ${k} | ${cell(v)} | ${goal ?? ''} | ${met === undefined ? '' : met ? 'yes' : '**no**'} |`);
    }
    const notes = o.figures?.notes;
    if (typeof notes === 'string' && notes) lines.push('', notes);
  }
  lines.push(`<!-- /bench:${o.name} -->`);
  return lines.join('\n');
}

const SECTION = /<!-- bench:([\w.-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g;

/** The sections already in a RESULTS.md, by bench name. */
export function parseSections(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of doc.matchAll(SECTION)) out.set(m[1] as string, m[0]);
  return out;
}

/**
 * The whole RESULTS.md: the header, then every section — the new outcomes replacing sections of
 * the same name, older sections kept (each carries its own date and machine), sorted by name.
 */
export function renderResults(previous: string, outcomes: BenchOutcome[], machine: MachineInfo, date: string): string {
  const sections = parseSections(previous);
  for (const o of outcomes) sections.set(o.name, renderSection(o));
  const body = [...sections.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, s]) => s);
  return [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (`bench/run-all.ts`); each section is rewritten when its bench runs.',
    'Run one bench alone with `node --import tsx bench/<name>.ts -- --json`.',
    '',
    `Last run: ${date} on ${machineLine(machine)}.`,
    '',
    ...body.flatMap((s) => [s, '']),
  ].join('\n');
}
