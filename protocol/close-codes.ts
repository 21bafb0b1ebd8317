/** WebSocket close codes Keelson uses (4000–4999 is the private range), one per error class. */
import type { ErrorCode } from '../core/errors.ts';

export const CLOSE_CODES = {
  PROTO_MALFORMED: 4400,
  PROTO_INVALID: 4400,
  PROTO_UNKNOWN_TYPE: 4400,
  PROTO_NOT_TEXT: 4400,
  PROTO_ORDER: 4400,
  AUTH_FAILED: 4401,
  PROTO_VERSION: 4426,
  PROTO_TOO_LARGE: 1009,
} as const satisfies Partial<Record<ErrorCode, number>>;

/** The close code for an error code; 1011 (internal error) for anything else. */
export function closeCodeFor(code: string): number {
  return (CLOSE_CODES as Record<string, number>)[code] ?? 1011;
}
