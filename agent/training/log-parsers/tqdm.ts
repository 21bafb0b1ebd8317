/**
 * tqdm progress bars: ` 10%|#         | 10/100 [01:00<06:03,  4.04s/it]` (or `it/s`, unicode
 * bars, a description before the percentage). Only the last carriage-return segment counts. Pure.
 */
import type { LineParser, ParsedLine } from './types.ts';

const TQDM_RE = /(\d{1,3})%\|[^|]*\|\s*(\d+)\/(\d+)\s*\[[^\]<]*<[^\],]*(?:,\s*(?:([\d.]+)(s\/it|it\/s)|\?it\/s))?/;

export const parseTqdmLine: LineParser = (line) => {
  const seg = line.slice(line.lastIndexOf('\r') + 1);
  const m = TQDM_RE.exec(seg);
  if (!m) return undefined;
  const out: ParsedLine = { format: 'tqdm', step: Number(m[2]), total: Number(m[3]) };
  const rate = m[4] !== undefined ? Number(m[4]) : undefined;
  if (rate !== undefined && rate > 0) out.stepMs = m[5] === 's/it' ? rate * 1000 : 1000 / rate;
  return out;
};
