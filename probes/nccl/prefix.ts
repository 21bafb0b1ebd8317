/**
 * Launcher prefixes on output lines: `srun -l` labels each line with the task number
 * (`0: `, `12: `), `mpirun --tag-output` with the job and rank (`[1,0]<stdout>:`), torchrun
 * with `[rank0]:`. Parsers strip one prefix per line and remember which launcher it was.
 */

/** Which launcher's prefix a line carried. */
export type LinePrefix = 'srun' | 'mpirun' | 'torchrun' | 'none';

const PREFIXES: readonly [LinePrefix, RegExp][] = [
  ['mpirun', /^\[\d+,\d+\]<(?:stdout|stderr)>:/],
  ['torchrun', /^(?:\[(?:rank|default)\d+\]:)+/],
  ['srun', /^\s{0,6}\d{1,6}: /],
];

/** The line without its launcher prefix, and which prefix it was. Pure. */
export function stripLinePrefix(line: string): { text: string; prefix: LinePrefix } {
  for (const [prefix, re] of PREFIXES) {
    const m = re.exec(line);
    if (m) return { text: line.slice(m[0].length), prefix };
  }
  return { text: line, prefix: 'none' };
}

/** Split text into lines (LF or CRLF) without launcher prefixes; `prefix` is the most common one seen. */
export function unprefixedLines(text: string): { lines: string[]; prefix: LinePrefix } {
  const counts = new Map<LinePrefix, number>();
  const lines = text.split(/\r?\n/).map((raw) => {
    const { text: t, prefix } = stripLinePrefix(raw);
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    return t;
  });
  let best: LinePrefix = 'none';
  let bestCount = 0;
  for (const [p, c] of counts) {
    if (p !== 'none' && c > bestCount) {
      best = p;
      bestCount = c;
    }
  }
  return { lines, prefix: best };
}
