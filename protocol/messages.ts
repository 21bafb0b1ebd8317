/**
 * Every message the agent and the collector exchange, as zod schemas forming a discriminated
 * union on `type`. Both sides import this file; neither imports the other.
 */
import { z } from 'zod';
import { ACTIONS, FINDING_KINDS, SEVERITIES } from '../core/finding.ts';
import { ckptCommittedPayloadSchema, ckptDurablePayloadSchema, ckptStateSchema } from './checkpoint.ts';
import { trainingSummarySchema } from './training.ts';

const str = (max: number) => z.string().max(max);
const id = str(256);
const ts = z.number().int().nonnegative();
const seq = z.number().int().positive();
const labels = z.record(str(128), str(512)).refine((r) => Object.keys(r).length <= 64, 'at most 64 labels');

/** A finding on the wire; mirrors core/finding.ts Finding. */
export const findingSchema = z.object({
  code: str(128),
  component: str(256),
  severity: z.enum(SEVERITIES),
  action: z.enum(ACTIONS),
  kind: z.enum(FINDING_KINDS),
  message: str(2048),
  evidence: str(4096),
  firstSeen: ts,
  lastSeen: ts,
  count: z.number().int().positive(),
  sticky: z.boolean().optional(),
});

export const PROBE_STATUSES = ['ok', 'failed', 'timeout', 'unsupported', 'pending'] as const;

/** One probe's last outcome, as the node's snapshot reports it. */
export const probeStatusSchema = z.object({
  name: id,
  status: z.enum(PROBE_STATUSES),
  /** Why it failed or is unsupported. */
  reason: str(2048).optional(),
  lastRun: ts.optional(),
  durationMs: z.number().nonnegative().optional(),
});

export const metricSampleSchema = z.object({
  name: str(200),
  value: z.number(),
  labels: labels.optional(),
});

const base = { v: z.number().int(), ts };

// ---- agent → collector ----

export const helloSchema = z.object({
  ...base,
  type: z.literal('hello'),
  nodeId: id,
  hostname: id,
  labels,
  agentVersion: str(64),
  capabilities: z.array(str(64)).max(64),
  /** Identifies one sequence space; a new epoch (fresh spool) restarts numbering. */
  epoch: id,
  bootId: str(64).optional(),
  /** The highest seq the agent has seen acknowledged. */
  lastAckedSeq: z.number().int().nonnegative(),
});

export const heartbeatSchema = z.object({ ...base, type: z.literal('heartbeat') });

export const snapshotSchema = z.object({
  ...base,
  type: z.literal('snapshot'),
  seq,
  health: z.enum(['healthy', 'warn', 'degraded', 'fatal']),
  findings: z.array(findingSchema).max(10_000),
  probes: z.array(probeStatusSchema).max(256),
  facts: z.record(str(128), str(1024)).optional(),
});

export const findingChangeSchema = z.object({
  change: z.enum(['opened', 'updated', 'cleared']),
  finding: findingSchema,
});

export const findingsSchema = z.object({
  ...base,
  type: z.literal('findings'),
  seq,
  changes: z.array(findingChangeSchema).min(1).max(10_000),
});

/** Sent after every probe run: the probe's status (so its age is live) and its samples. */
export const metricsSchema = z.object({
  ...base,
  type: z.literal('metrics'),
  seq,
  probe: probeStatusSchema.optional(),
  samples: z.array(metricSampleSchema).max(50_000),
});

/** A per-job training summary; not sequenced (a newer one supersedes it), dropped when offline. */
export const trainingSchema = z.object({ ...base, type: z.literal('training'), ...trainingSummarySchema.shape });

/** These ranks of (job, step) are durable on a tier of this node; the collector commits from them. */
export const ckptDurableSchema = z.object({
  ...base,
  type: z.literal('ckpt-durable'),
  seq,
  ...ckptDurablePayloadSchema.shape,
});

/** Collector → agent: a step is committed (MANIFEST then LATEST written on parallel storage). */
export const ckptCommittedSchema = z.object({
  ...base,
  type: z.literal('ckpt-committed'),
  ...ckptCommittedPayloadSchema.shape,
});

/** This node's checkpoint state; not sequenced (a newer one supersedes it), dropped when offline. */
export const ckptStateMessageSchema = z.object({ ...base, type: z.literal('ckpt-state'), state: ckptStateSchema });

export const commandResultSchema = z.object({
  ...base,
  type: z.literal('command-result'),
  seq,
  commandId: id,
  ok: z.boolean(),
  error: str(2048).optional(),
  result: z.unknown().optional(),
});

// ---- collector → agent ----

export const welcomeSchema = z.object({
  ...base,
  type: z.literal('welcome'),
  collectorVersion: str(64),
  /** The highest seq the collector has stored for this node and epoch; the agent replays after it. */
  lastSeq: z.number().int().nonnegative(),
  heartbeatMs: z.number().int().positive(),
  /** What this collector does beyond the basics (`ckpt-commit`: it commits checkpoints across nodes). */
  capabilities: z.array(str(64)).max(64).optional(),
});

export const ackSchema = z.object({
  ...base,
  type: z.literal('ack'),
  /** Cumulative: every message with seq ≤ this one is stored. */
  seq: z.number().int().nonnegative(),
});

/**
 * `probe.run` {probe}: run a probe now. `job.restart` {job, attempt, reason}: restart the job's
 * ranks on this node. `net.test` {nodes, kind, timeoutMs}: launch a network test across `nodes`.
 */
export const COMMAND_NAMES = ['probe.run', 'job.restart', 'net.test'] as const;

export const commandSchema = z.object({
  ...base,
  type: z.literal('command'),
  commandId: id,
  name: z.enum(COMMAND_NAMES),
  args: z.record(str(64), z.unknown()).optional(),
});

export const errorSchema = z.object({
  ...base,
  type: z.literal('error'),
  code: str(64),
  message: str(2048),
});

export const agentMessageSchema = z.discriminatedUnion('type', [
  helloSchema,
  heartbeatSchema,
  snapshotSchema,
  findingsSchema,
  metricsSchema,
  commandResultSchema,
  trainingSchema,
  ckptStateMessageSchema,
  ckptDurableSchema,
]);

export const collectorMessageSchema = z.discriminatedUnion('type', [
  welcomeSchema,
  ackSchema,
  heartbeatSchema,
  commandSchema,
  errorSchema,
  ckptCommittedSchema,
]);

export type WireFinding = z.infer<typeof findingSchema>;
export type ProbeStatus = z.infer<typeof probeStatusSchema>;
export type MetricSampleMsg = z.infer<typeof metricSampleSchema>;
export type Hello = z.infer<typeof helloSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type Heartbeat = z.infer<typeof heartbeatSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type Snapshot = z.infer<typeof snapshotSchema>;
export type FindingChange = z.infer<typeof findingChangeSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type FindingsMsg = z.infer<typeof findingsSchema>;
export type MetricsMsg = z.infer<typeof metricsSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type CommandResult = z.infer<typeof commandResultSchema>;
export type TrainingMsg = z.infer<typeof trainingSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type CkptStateMsg = z.infer<typeof ckptStateMessageSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type CkptDurableMsg = z.infer<typeof ckptDurableSchema>;
export type CkptCommittedMsg = z.infer<typeof ckptCommittedSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type Welcome = z.infer<typeof welcomeSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type Ack = z.infer<typeof ackSchema>;
export type Command = z.infer<typeof commandSchema>;
/** @public A wire message's type (for clients of the protocol). */
export type ErrorMsg = z.infer<typeof errorSchema>;
export type AgentMessage = z.infer<typeof agentMessageSchema>;
export type CollectorMessage = z.infer<typeof collectorMessageSchema>;
/** Agent messages that carry a sequence number and are kept until acknowledged. */
export type SequencedMessage = Extract<AgentMessage, { seq: number }>;

export const AGENT_MESSAGE_TYPES = agentMessageSchema.options.map((o) => o.shape.type.value);
export const COLLECTOR_MESSAGE_TYPES = collectorMessageSchema.options.map((o) => o.shape.type.value);
