/** How a bench script prints its result: one JSON line with `--json`, else a readable table. */

/** Print the figures; with `json` one line on stdout that run-all.ts parses. */
export function printFigures(figures: Record<string, unknown>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  for (const [k, v] of Object.entries(figures))
    process.stdout.write(`${k.padEnd(24)} ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
}

/** Progress notes go to stderr so stdout stays one JSON line. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** The last line of `stdout` that parses as a JSON object (what a bench printed with --json). */
export function lastJsonLine(stdout: string): Record<string, unknown> | undefined {
  for (const line of stdout.trim().split('\n').reverse()) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(t);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON; keep looking
    }
  }
  return undefined;
}
