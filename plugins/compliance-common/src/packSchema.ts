import { compileRule } from './cel';
import { parseDuration } from './duration';
import { InputError } from '@backstage/errors';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FRAMEWORKS, LEVELS, PolicyPack, SEVERITIES } from './types';

/**
 * A policy pack that cannot be used, with the file, check and problem named.
 *
 * @public
 */
export class PolicyPackError extends InputError {
  constructor(
    readonly file: string,
    readonly checkId: string | undefined,
    readonly problem: string,
  ) {
    super(`${file}${checkId ? `: check '${checkId}'` : ''}: ${problem}`);
  }
}

const id = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'must be letters, digits, dots, dashes or underscores',
  );

const checkSchema = z
  .object({
    id,
    title: z.string().min(1),
    description: z.string().optional(),
    severity: z.enum(SEVERITIES),
    level: z.enum(LEVELS),
    controls: z
      .array(z.string().min(1))
      .min(1, 'must evidence at least one control'),
    appliesTo: z
      .object({
        kinds: z.array(z.string().min(1)).optional(),
        types: z.array(z.string().min(1)).optional(),
        lifecycles: z.array(z.string().min(1)).optional(),
        annotations: z
          .record(z.string(), z.union([z.string(), z.literal(true)]))
          .optional(),
      })
      .strict()
      .default({}),
    rule: z.string().min(1),
    remediation: z.string().min(1),
    gate: z.enum(['block', 'warn', 'skip']).optional(),
    awaitsEvidence: z
      .object({
        facts: z
          .array(id)
          .min(1, 'must name the facts only CI produces, e.g. [ci]'),
        gracePeriod: z
          .string()
          .refine(
            text => (parseDuration(text) ?? 0) > 0,
            'must be a duration such as 168h or 72h30m',
          ),
      })
      .strict()
      .optional(),
  })
  .strict();

const packSchema = z
  .object({
    apiVersion: z.literal('forge.io/v1'),
    kind: z.literal('PolicyPack'),
    metadata: z
      .object({
        name: id,
        version: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/, 'must be a semantic version such as 1.0.0'),
        title: z.string().min(1),
        description: z.string().optional(),
      })
      .strict(),
    spec: z
      .object({
        parameters: z.record(z.string(), z.unknown()).default({}),
        controls: z
          .array(
            z
              .object({
                id: z.string().min(1),
                framework: z.enum(FRAMEWORKS),
                family: z.string().min(1),
                title: z.string().min(1),
              })
              .strict(),
          )
          .min(1),
        checks: z.array(z.unknown()).min(1),
      })
      .strict(),
  })
  .strict();

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

/**
 * Parses and validates one policy pack (YAML text). Every rule must compile as CEL and every control a check names
 * must be declared in the pack. Throws a `PolicyPackError` naming the file, the check and the problem.
 *
 * @public
 */
export function parsePolicyPack(text: string, file: string): PolicyPack {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new PolicyPackError(
      file,
      undefined,
      `not valid YAML: ${(e as Error).message}`,
    );
  }
  const parsed = packSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PolicyPackError(
      file,
      undefined,
      describeIssue(parsed.error.issues[0]),
    );
  }
  const { metadata, spec } = parsed.data;
  const controlIds = new Set<string>();
  for (const control of spec.controls) {
    if (controlIds.has(control.id)) {
      throw new PolicyPackError(
        file,
        undefined,
        `control '${control.id}' is declared twice`,
      );
    }
    controlIds.add(control.id);
  }

  const seen = new Set<string>();
  const checks = spec.checks.map((rawCheck, index) => {
    const checkId =
      typeof (rawCheck as { id?: unknown })?.id === 'string'
        ? (rawCheck as { id: string }).id
        : `#${index + 1}`;
    const check = checkSchema.safeParse(rawCheck);
    if (!check.success) {
      throw new PolicyPackError(
        file,
        checkId,
        describeIssue(check.error.issues[0]),
      );
    }
    if (seen.has(check.data.id)) {
      throw new PolicyPackError(
        file,
        checkId,
        'the id is used by another check of this pack',
      );
    }
    seen.add(check.data.id);
    const unknown = check.data.controls.filter(c => !controlIds.has(c));
    if (unknown.length) {
      throw new PolicyPackError(
        file,
        checkId,
        `controls ${unknown.join(
          ', ',
        )} are not declared in spec.controls of the pack`,
      );
    }
    try {
      compileRule(check.data.rule);
    } catch (e) {
      throw new PolicyPackError(
        file,
        checkId,
        `rule is not valid CEL: ${(e as Error).message.split('\n')[0]}`,
      );
    }
    return {
      ...check.data,
      // Findings that are high or critical stop a blueprint by default; the rest are reported.
      gate:
        check.data.gate ??
        (check.data.severity === 'high' || check.data.severity === 'critical'
          ? 'block'
          : 'warn'),
    };
  });

  return {
    name: metadata.name,
    version: metadata.version,
    title: metadata.title,
    description: metadata.description,
    parameters: spec.parameters,
    controls: spec.controls,
    checks,
  };
}
