/** Flags every bench script takes: `--json`, plus numeric options such as `--seconds 10`. */

export interface BenchArgs {
  json: boolean;
  numbers: Record<string, number>;
}

/**
 * Parse `--json` and `--name <number>` / `--name=<number>` flags (a lone `--` is skipped, as
 * npm passes it through). Unknown names and non-numbers throw, naming the flag.
 */
export function parseBenchArgs(argv: readonly string[], defaults: Record<string, number>): BenchArgs {
  const numbers = { ...defaults };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') continue;
    if (arg === '--json') {
      json = true;
      continue;
    }
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    if (!m || !(m[1]! in defaults))
      throw new Error(
        `unknown flag ${arg}; known: --json ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    const raw = m[2] ?? argv[++i];
    const n = Number(raw);
    if (raw === undefined || raw === '' || !Number.isFinite(n) || n < 0)
      throw new Error(`--${m[1]} needs a non-negative number, got ${raw}`);
    numbers[m[1]!] = n;
  }
  return { json, numbers };
}

/**
 * Take one `--name <text>` / `--name=<text>` flag out of `argv` (for the few text options a bench
 * has, such as a prebuilt entry point to compare against); returns its value and the rest.
 */
export function takeTextFlag(argv: readonly string[], name: string): { value?: string; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === `--${name}`) {
      value = argv[++i];
      if (value === undefined || value === '') throw new Error(`--${name} needs a value`);
    } else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
    else rest.push(arg);
  }
  return value === undefined ? { rest } : { value, rest };
}
