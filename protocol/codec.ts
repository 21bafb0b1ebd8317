/**
 * The codec: msgpack frames (plain records, no shared structures, so any two versions of
 * msgpackr agree) validated against the schemas. Decoding never throws anything but a
 * KeelsonError with a PROTO_* code. The frequent messages (metrics, heartbeats, acks) are
 * checked by hand first (fast-validate.ts); whatever that check does not vouch for goes
 * through the full zod schema, so every refusal carries zod's error as before.
 */
import { Packr } from 'msgpackr';
import type { z } from 'zod';
import { KeelsonError } from '../core/errors.ts';
import { type FastResult, fastAgentMessage, fastCollectorMessage } from './fast-validate.ts';
import {
  AGENT_MESSAGE_TYPES,
  type AgentMessage,
  agentMessageSchema,
  COLLECTOR_MESSAGE_TYPES,
  type CollectorMessage,
  collectorMessageSchema,
} from './messages.ts';
import { PROTOCOL_VERSION } from './version.ts';

const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number', mapsAsObjects: true });

/** Default largest frame either side accepts. */
export const DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024;

/** Encode a message to one binary frame. */
export function encodeMessage(msg: AgentMessage | CollectorMessage): Buffer {
  return packr.pack(msg);
}

function decodeWith<T>(
  bytes: Uint8Array,
  schema: z.ZodType<T>,
  knownTypes: readonly string[],
  maxPayload: number,
  fast: (m: Record<string, unknown>) => FastResult,
): T {
  if (bytes.byteLength > maxPayload) {
    throw new KeelsonError('PROTO_TOO_LARGE', `frame of ${bytes.byteLength} bytes exceeds the limit of ${maxPayload}`);
  }
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new KeelsonError('PROTO_MALFORMED', 'frame is not valid msgpack', { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new KeelsonError('PROTO_MALFORMED', 'frame is not a msgpack map');
  }
  const rec = raw as Record<string, unknown>;
  if (rec.v !== PROTOCOL_VERSION) {
    throw new KeelsonError(
      'PROTO_VERSION',
      `protocol version ${JSON.stringify(rec.v)} is not supported; this side speaks ${PROTOCOL_VERSION}`,
    );
  }
  if (typeof rec.type !== 'string' || !knownTypes.includes(rec.type)) {
    throw new KeelsonError('PROTO_UNKNOWN_TYPE', `unknown message type ${JSON.stringify(rec.type)?.slice(0, 80)}`);
  }
  const quick = fast(rec);
  if (quick) return quick as T;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new KeelsonError('PROTO_INVALID', `${rec.type}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Decode and validate a frame sent by an agent (collector side). */
export function decodeAgentMessage(bytes: Uint8Array, maxPayload = DEFAULT_MAX_PAYLOAD): AgentMessage {
  return decodeWith(bytes, agentMessageSchema, AGENT_MESSAGE_TYPES, maxPayload, fastAgentMessage);
}

/** Decode and validate a frame sent by the collector (agent side). */
export function decodeCollectorMessage(bytes: Uint8Array, maxPayload = DEFAULT_MAX_PAYLOAD): CollectorMessage {
  return decodeWith(bytes, collectorMessageSchema, COLLECTOR_MESSAGE_TYPES, maxPayload, fastCollectorMessage);
}
