/**
 * One error base class with a stable string code on every error, the cause kept.
 * Codes are listed in ERROR_CODES so PROTOCOL.md and logs agree on them.
 */

/** Every stable error code Keelson raises, with what it means. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'A configuration value is missing or invalid; the message names the key.',
  CONFIG_UNREADABLE: 'A configuration file could not be read or parsed.',
  PROTO_MALFORMED: 'A frame could not be decoded (not msgpack, or not a map).',
  PROTO_INVALID: 'A frame decoded but does not match the message schema.',
  PROTO_UNKNOWN_TYPE: 'A frame names a message type this side does not know.',
  PROTO_VERSION: 'The peer speaks a protocol version this side does not support.',
  PROTO_TOO_LARGE: 'A frame is larger than the configured maximum payload.',
  PROTO_NOT_TEXT: 'A text frame was sent; the protocol is binary msgpack only.',
  PROTO_ORDER: 'A message arrived before the session was established (hello first).',
  AUTH_FAILED: 'The bearer token on the WebSocket upgrade is missing or wrong.',
  PEER_TIMEOUT: 'The peer sent nothing (not even a heartbeat) within the dead-peer timeout.',
  CMD_MISSING: 'A command a probe needs is not installed.',
  CMD_TIMEOUT: 'A command ran past its timeout and was killed.',
  CMD_OUTPUT_CAP: 'A command printed more than its output cap and was killed.',
  CMD_FAILED: 'A command exited non-zero or was killed by a signal.',
  PROBE_TIMEOUT: 'A probe did not finish within its timeout.',
  PROBE_FAILED: 'A probe threw or returned output that could not be parsed.',
  PARSE_FAILED: 'Tool output did not have the expected format.',
  SPOOL_IO: 'The outbox spool on disk could not be read or written.',
  STORE_IO: 'The collector database could not be read or written.',
  NOT_FOUND: 'The requested resource does not exist.',
  CKPT_CHECKSUM: 'A checkpoint shard does not match its recorded checksum, or its bytes are short.',
  CKPT_TIER_UNAVAILABLE: 'A checkpoint tier cannot be written or read (disk full, unreachable, no permission).',
  CKPT_INCOMPLETE: 'No complete copy of the requested checkpoint step exists on any tier.',
  CKPT_PEER: 'A checkpoint peer sent a bad frame, refused a replica or could not be reached.',
  POLICY_INVALID: 'An isolation policy file does not match the policy schema; the message names the rule and key.',
  ACTUATOR_FAILED: 'An actuator (Slurm, Kubernetes, webhook, exec hook) failed after its retries.',
  ISOLATION_REFUSED: 'An isolation or release was refused by a safety rule (owned by someone else, not ours, breaker).',
  ALERTMANAGER_FAILED: 'Alertmanager did not accept the alerts after retries.',
  NETTEST_BUSY: 'A node is already in another network test campaign (one campaign at a time per node).',
  NETTEST_NO_NODES:
    'A network test campaign has too few eligible nodes (nodes running a job are left out unless forced).',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class of every error Keelson throws on purpose. */
export class KeelsonError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeelsonError';
    this.code = code;
  }
}

/** True when `err` is a KeelsonError, optionally with the given code. */
export function isKeelsonError(err: unknown, code?: ErrorCode): err is KeelsonError {
  return err instanceof KeelsonError && (code === undefined || err.code === code);
}

/** A short one-line description of any thrown value, for findings and logs. */
export function describeError(err: unknown): string {
  if (err instanceof KeelsonError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
