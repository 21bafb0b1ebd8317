/**
 * The isolation policy: declarative rules (YAML, validated with zod) from findings to actions,
 * plus the escalation ladder. `parsePolicy` turns text into a compiled policy; evaluation is in
 * policy-eval.ts.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';
import { ACTIONS, FINDING_KINDS, SEVERITIES } from '../../core/finding.ts';
import { globToRegExp } from './code-glob.ts';

/**
 * What a rule may ask for. reset-gpu, reboot and inspect-hardware are recommendations (audited and
 * alerted; Keelson never reboots a host itself); `none` with `final` silences later rules.
 */
export const POLICY_ACTIONS = [
  'none',
  'isolate',
  'restart-job',
  'reset-gpu',
  'reboot',
  'inspect-hardware',
  'escalate',
] as const;

/** The repair steps an escalation ladder climbs. */
export const LADDER_STEPS = ['restart-job', 'reset-gpu', 'reboot', 'inspect-hardware'] as const;
export type LadderStep = (typeof LADDER_STEPS)[number];

const globs = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

const matchSchema = z
  .object({
    /** Finding code globs (`gpu.xid.*`); any matches. */
    code: globs.default(['*']),
    /** Code globs that never match this rule. */
    exclude: globs.optional(),
    /** Component globs (`gpu:*`, `job:*`). */
    component: globs.optional(),
    severity: z.array(z.enum(SEVERITIES)).min(1).optional(),
    minSeverity: z.enum(SEVERITIES).optional(),
    /** The action the finding suggests. */
    action: z.array(z.enum(ACTIONS)).min(1).optional(),
    kind: z.enum(FINDING_KINDS).optional(),
  })
  .strict();

const countSchema = z
  .object({
    atLeast: z.number().int().min(1),
    withinMinutes: z.number().positive(),
    /** Count occurrences on the whole node, or on the finding's component only. */
    per: z.enum(['node', 'component']).default('node'),
  })
  .strict();

const ruleSchema = z
  .object({
    name: z.string().min(1).max(64),
    match: matchSchema,
    count: countSchema.optional(),
    do: z.array(z.enum(POLICY_ACTIONS)).min(1),
    /** Stop evaluating later rules when this one fires. */
    final: z.boolean().default(false),
  })
  .strict();

const ladderSchema = z
  .object({
    steps: z.array(z.enum(LADDER_STEPS)).min(1),
    /** Times a step may be taken for one node and code before the ladder climbs (default 1). */
    repeats: z.partialRecord(z.enum(LADDER_STEPS), z.number().int().min(1)).default({}),
    /** How long past steps are remembered. */
    memoryHours: z.number().positive().default(720),
    /** Steps that also isolate the node (it goes to hardware inspection). */
    isolateAt: z.array(z.enum(LADDER_STEPS)).default(['inspect-hardware']),
  })
  .strict();

export const policySchema = z
  .object({
    version: z.literal(1),
    ladder: ladderSchema,
    rules: z.array(ruleSchema),
  })
  .strict()
  .refine((p) => new Set(p.rules.map((r) => r.name)).size === p.rules.length, {
    message: 'rule names must be unique',
    path: ['rules'],
  });

export type PolicySpec = z.infer<typeof policySchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type LadderSpec = z.infer<typeof ladderSchema>;

/** A rule with its globs compiled. */
export interface CompiledRule extends RuleSpec {
  codeRe: RegExp[];
  excludeRe: RegExp[];
  componentRe?: RegExp[];
}

export interface CompiledPolicy {
  ladder: LadderSpec;
  rules: CompiledRule[];
}

/** Compile a validated spec. */
export function compilePolicy(spec: PolicySpec): CompiledPolicy {
  return {
    ladder: spec.ladder,
    rules: spec.rules.map((r) => ({
      ...r,
      codeRe: r.match.code.map(globToRegExp),
      excludeRe: (r.match.exclude ?? []).map(globToRegExp),
      ...(r.match.component ? { componentRe: r.match.component.map(globToRegExp) } : {}),
    })),
  };
}

/** Validate a parsed object; POLICY_INVALID names the rule and key. */
export function validatePolicy(obj: unknown, source = 'policy'): CompiledPolicy {
  const r = policySchema.safeParse(obj);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map(String);
    let where = path.join('.') || '(root)';
    if (path[0] === 'rules' && path[1] !== undefined && obj && typeof obj === 'object') {
      const name = (obj as { rules?: { name?: unknown }[] }).rules?.[Number(path[1])]?.name;
      if (typeof name === 'string') where = `rule "${name}": ${path.slice(2).join('.') || '(rule)'}`;
    }
    throw new KeelsonError('POLICY_INVALID', `${source}: ${where}: ${issue.message}`);
  }
  return compilePolicy(r.data);
}

/** Parse and validate YAML policy text. */
export function parsePolicy(text: string, source = 'policy'): CompiledPolicy {
  let obj: unknown;
  try {
    obj = parseYaml(text);
  } catch (err) {
    throw new KeelsonError('POLICY_INVALID', `${source}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return validatePolicy(obj, source);
}
