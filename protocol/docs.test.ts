import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../core/errors.ts';
import { CLOSE_CODES } from './close-codes.ts';
import { AGENT_MESSAGE_TYPES, COLLECTOR_MESSAGE_TYPES } from './messages.ts';

const doc = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8');

describe('PROTOCOL.md', () => {
  it('lists every message type', () => {
    for (const t of [...AGENT_MESSAGE_TYPES, ...COLLECTOR_MESSAGE_TYPES]) expect(doc).toContain(`| \`${t}\` |`);
  });
  it('lists every error code with the meaning the code gives it', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) expect(doc).toContain(`| \`${code}\` | ${meaning} |`);
  });
  it('gives the close code of every refusal', () => {
    for (const [code, close] of Object.entries(CLOSE_CODES)) {
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\|[^\\n]*${close === 4401 ? 'HTTP 401' : close}`));
    }
  });
});
