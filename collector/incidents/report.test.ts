/** renderReport and its formats, on a hand-worked week of incidents (test/fixtures/incidents/sample.ts). */
import { describe, expect, it } from 'vitest';
import {
  INC_ECC,
  INC_OPEN,
  INC_XID,
  SAMPLE_INCIDENTS,
  SAMPLE_NOW,
  SAMPLE_STATS,
} from '../../test/fixtures/incidents/sample.ts';
import { culpritText, formatDuration, formatUtc, renderReport } from './report.ts';
import { incidentTimes } from './stats.ts';
import type { Incident, StabilityStats } from './types.ts';

describe('formatDuration', () => {
  it('writes seconds, minutes, hours and days for people', () => {
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
    expect(formatDuration(-5)).toBe('0s');
    expect(formatDuration(400)).toBe('0s');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(59_499)).toBe('59s');
    expect(formatDuration(59_500)).toBe('1m 00s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3_599_000)).toBe('59m 59s');
    expect(formatDuration(72 * 60_000)).toBe('1h 12m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000)).toBe('3d 04h');
  });
});

describe('incident figures', () => {
  it('measures detection, identification and recovery from the timeline', () => {
    expect(incidentTimes(INC_XID)).toEqual({ ttd: 125_000, tti: 30_000, ttr: 1_235_000 });
    expect(incidentTimes(INC_ECC)).toEqual({ ttd: 20_000, tti: 40_000 });
    expect(incidentTimes(INC_OPEN)).toEqual({ ttd: 45_000 });
    const unidentified: Incident = {
      ...INC_OPEN,
      timeline: { firstEvidence: 0, detected: 10_000, mitigated: 20_000, recovered: 70_000 },
    };
    expect(incidentTimes(unidentified)).toEqual({ ttd: 10_000, ttr: 70_000 });
  });

  it('names the culprit as precisely as known', () => {
    expect(culpritText(INC_XID.culprit)).toBe('gpu07 gpu:3');
    expect(culpritText({ node: 'gpu09', code: 'host.mem' })).toBe('gpu09');
    expect(culpritText(undefined)).toBe('—');
    expect(formatUtc(SAMPLE_NOW)).toBe('2026-01-08 12:00:00Z');
  });
});

describe('renderReport (Markdown)', () => {
  const md = renderReport(SAMPLE_STATS, SAMPLE_INCIDENTS, { format: 'md', now: SAMPLE_NOW });
  const lines = md.split('\n');

  it('states the window and the four numbers', () => {
    expect(lines[0]).toBe('# Keelson stability report');
    expect(lines).toContain(
      'Window: 2026-01-01 12:00:00Z → 2026-01-08 12:00:00Z (7d 00h). Generated 2026-01-08 12:00:00Z.',
    );
    expect(lines).toContain('- Incidents: 4 (2 open)');
    expect(lines).toContain('- MTBF (fleet): 1d 18h');
    expect(lines).toContain('- Least stable nodes (MTBF): gpu03 7d 00h, gpu07 7d 00h, gpu12 7d 00h');
    expect(lines).toContain('- Least stable jobs (MTBF): llama-70b 3d 12h, bert-large 7d 00h');
    expect(lines).toContain('- MTTD 3m 18s · MTTI 1m 03s · MTTR 18m 03s');
  });

  it('breaks lost time down with shares and GPU-hours', () => {
    const at = lines.indexOf('| part | time | share |');
    expect(lines.slice(at, at + 8)).toEqual([
      '| part | time | share |',
      '|---|---:|---:|',
      '| detection | 12m 05s | 28.7 % |',
      '| identification | 2m 30s | 5.9 % |',
      '| recovery | 21m 30s | 51.1 % |',
      '| recomputation | 6m 00s | 14.3 % |',
      '| straggler slowdown | 0s | 0.0 % |',
      '| total | 42m 05s | 100.0 % |',
    ]);
    expect(lines).toContain('GPU-hours lost: 89.8');
  });

  it('lists goodput per job, worst first', () => {
    const at = lines.indexOf('| job | GPUs | wall | productive | goodput | incidents |');
    expect(lines.slice(at + 2, at + 4)).toEqual([
      '| llama-70b | 128 | 7d 00h | 6d 23h | 99.6 % | 2 |',
      '| bert-large | 64 | 2d 00h | 1d 23h | 99.7 % | 1 |',
    ]);
  });

  it('gives the failure mix with the GPU-related share next to Llama 3’s', () => {
    const at = lines.indexOf('| category | incidents | share |');
    expect(lines.slice(at + 2, at + 6)).toEqual([
      '| GPU | 1 | 25.0 % |',
      '| GPU memory | 1 | 25.0 % |',
      '| Network | 1 | 25.0 % |',
      '| Unknown | 1 | 25.0 % |',
    ]);
    expect(lines).toContain('GPU-related (GPU + GPU memory + NVLink): 2 of 4 (50.0 %).');
    expect(lines).toContain('For comparison, Llama 3 (54-day run): 419 unexpected interruptions, 58.7 % GPU-related.');
  });

  it('tables the incidents oldest first with their figures', () => {
    const at = lines.indexOf(
      '| id | status | first evidence (UTC) | job | culprit | category | MTTD | MTTI | MTTR | lost |',
    );
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 2, at + 6)).toEqual([
      '| inc-1 | recovered | 2026-01-05 10:00:00Z | llama-70b | gpu07 gpu:3 | GPU | 2m 05s | 30s | 20m 35s | 25m 35s (54.6 GPU-h) |',
      '| inc-2 | recovered | 2026-01-06 08:00:00Z | llama-70b | gpu12 ib:mlx5_0/1 | Network | 10m 00s | 2m 00s | 15m 30s | 16m 30s (35.2 GPU-h) |',
      '| inc-3 | mitigated | 2026-01-08 11:50:00Z | bert-large | gpu03 gpu:1 | GPU memory | 20s | 40s | — | — |',
      '| inc-4 | open | 2026-01-08 11:58:00Z | — | — | Unknown | 45s | — | — | — |',
    ]);
  });

  it('escapes table cells so a name cannot break the table', () => {
    const odd: Incident = { ...INC_XID, job: 'a|b\nc' };
    const out = renderReport(SAMPLE_STATS, [odd], { format: 'md', now: SAMPLE_NOW });
    expect(out).toContain('| inc-1 | recovered | 2026-01-05 10:00:00Z | a\\|b c | gpu07 gpu:3 |');
  });
});

describe('renderReport (plain text)', () => {
  const text = renderReport(SAMPLE_STATS, SAMPLE_INCIDENTS, { format: 'text', now: SAMPLE_NOW });
  const lines = text.split('\n');

  it('underlines headings and aligns columns, numbers to the right', () => {
    expect(lines.slice(0, 2)).toEqual(['Keelson stability report', '========================']);
    expect(lines).toContain('  MTTD 3m 18s · MTTI 1m 03s · MTTR 18m 03s');
    const at = lines.indexOf('part                   time    share');
    expect(lines.slice(at, at + 8)).toEqual([
      'part                   time    share',
      '------------------  -------  -------',
      'detection           12m 05s   28.7 %',
      'identification       2m 30s    5.9 %',
      'recovery            21m 30s   51.1 %',
      'recomputation        6m 00s   14.3 %',
      'straggler slowdown       0s    0.0 %',
      'total               42m 05s  100.0 %',
    ]);
    expect(lines).toContain(
      'inc-1  recovered  2026-01-05 10:00:00Z  llama-70b   gpu07 gpu:3        GPU          2m 05s     30s  20m 35s  25m 35s (54.6 GPU-h)',
    );
    expect(lines).toContain(
      'inc-4  open       2026-01-08 11:58:00Z  —           —                  Unknown         45s       —        —  —',
    );
    expect(text).not.toContain('|');
    expect(text).not.toContain('#');
  });
});

describe('renderReport on a quiet window', () => {
  it('says there were no incidents and still prints the comparison', () => {
    const quiet: StabilityStats = {
      ...SAMPLE_STATS,
      incidents: 0,
      open: 0,
      byCategory: Object.fromEntries(
        Object.keys(SAMPLE_STATS.byCategory).map((k) => [k, 0]),
      ) as StabilityStats['byCategory'],
      mtbf: { nodes: {}, jobs: {} },
      mttd: undefined,
      mtti: undefined,
      mttr: undefined,
      lost: { detection: 0, identification: 0, recovery: 0, recompute: 0, slowdown: 0, total: 0, gpuHours: 0 },
      goodput: [],
    };
    const lines = renderReport(quiet, [], { format: 'md', now: SAMPLE_NOW }).split('\n');
    expect(lines).toContain('- MTBF (fleet): —');
    expect(lines).toContain('- MTTD — · MTTI — · MTTR —');
    expect(lines.some((l) => l.startsWith('- Least stable'))).toBe(false);
    expect(lines).toContain('| detection | 0s | — |');
    expect(lines).toContain('No job ran in the window.');
    expect(lines).toContain('No incidents in the window.');
    expect(lines).toContain('For comparison, Llama 3 (54-day run): 419 unexpected interruptions, 58.7 % GPU-related.');
    expect(lines.slice(lines.indexOf('## Incidents'), lines.indexOf('## Incidents') + 3)).toEqual([
      '## Incidents',
      '',
      'None.',
    ]);
  });

  it('lists at most 500 incidents and counts the rest', () => {
    const many = Array.from({ length: 503 }, (_, n) => ({
      ...INC_XID,
      id: `inc-${n + 1}`,
      timeline: { ...INC_XID.timeline, firstEvidence: INC_XID.timeline.firstEvidence + n },
    }));
    const out = renderReport(SAMPLE_STATS, many, { format: 'md', now: SAMPLE_NOW });
    expect(out).toContain('| inc-500 |');
    expect(out).not.toContain('| inc-501 |');
    expect(out).toContain('… and 3 more.');
  });
});
