/**
 * The tile palette in static/style.css is readable: every state's foreground on its background
 * meets WCAG AA for text (4.5:1), and no two states share a background.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATES } from './static/model.js';

const css = readFileSync(new URL('./static/style.css', import.meta.url), 'utf8');

function color(name: string): string {
  const m = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})\\s*;`).exec(css);
  if (!m) throw new Error(`--${name} is not a #rrggbb colour in style.css`);
  return m[1]!;
}

/** WCAG relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('tile palette', () => {
  it('computes contrast like WCAG does', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it.each(STATES)('%s: text on its background is at least 4.5:1', (s) => {
    expect(contrast(color(`s-${s}-fg`), color(`s-${s}-bg`))).toBeGreaterThanOrEqual(4.5);
  });

  it('gives each state its own background', () => {
    const bgs = STATES.map((s) => color(`s-${s}-bg`).toLowerCase());
    expect(new Set(bgs).size).toBe(STATES.length);
  });

  it('keeps the muted text readable on the page', () => {
    expect(contrast(color('muted'), color('bg'))).toBeGreaterThanOrEqual(4.5);
    expect(contrast(color('text'), color('panel'))).toBeGreaterThanOrEqual(4.5);
  });
});
