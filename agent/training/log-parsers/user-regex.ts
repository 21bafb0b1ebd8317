/**
 * A site-supplied regular expression with named groups `step` and/or `loss` (optionally
 * `stepMs`, `tokens`, `samples`), for logs no built-in parser knows. Pure once compiled.
 */
import { KeelsonError } from '../../../core/errors.ts';
import { type LineParser, logNumber, type ParsedLine } from './types.ts';

/** Compile a user pattern into a parser; throws CONFIG_INVALID when it is not usable. */
export function userRegexParser(pattern: string, key = 'training.logs[].regex'): LineParser {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (err) {
    throw new KeelsonError('CONFIG_INVALID', `${key}: not a valid regular expression: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!/\(\?<(step|loss)>/.test(pattern)) {
    throw new KeelsonError('CONFIG_INVALID', `${key}: needs a named group (?<step>...) or (?<loss>...)`);
  }
  return (line) => {
    const g = re.exec(line)?.groups;
    if (!g) return undefined;
    const out: ParsedLine = { format: 'regex' };
    const step = logNumber(g.step);
    if (step !== undefined && Number.isInteger(step) && step >= 0) out.step = step;
    const loss = logNumber(g.loss);
    if (loss !== undefined) out.loss = loss;
    const ms = logNumber(g.stepMs);
    if (ms !== undefined && Number.isFinite(ms) && ms >= 0) out.stepMs = ms;
    const tokens = logNumber(g.tokens);
    if (tokens !== undefined && Number.isFinite(tokens)) out.tokens = tokens;
    const samples = logNumber(g.samples);
    if (samples !== undefined && Number.isFinite(samples)) out.samples = samples;
    return out.step === undefined && out.loss === undefined ? undefined : out;
  };
}
