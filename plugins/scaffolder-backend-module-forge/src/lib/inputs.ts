// Shared input fields of the forge:* actions. Scaffolder action schemas are zod v3 (what
// @backstage/plugin-scaffolder-node converts to JSON Schema), so this package uses `zod/v3` throughout.
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { DATA_CLASSIFICATIONS } from '@internal/plugin-compliance-common';
import { z } from 'zod/v3';

/** Longest free text a blueprint accepts in one field (descriptions, justifications). */
export const MAX_TEXT_LENGTH = 500;

// `${{ }}` (scaffolder, GitHub Actions), `{{ }}` / `{% %}` (nunjucks, Jinja, dbt) and `${ }` (shell, Terraform,
// GitLab CI): a value carrying one would be evaluated again by a tool that later reads the generated files.
const TEMPLATE_EXPRESSION = /\$\{\{|\{\{|\{%|\$\{|\}\}|%\}/;
// Newlines and other control characters would let a value break out of a YAML scalar or a file header.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Single-line free text without template expressions or control characters. */
export function safeText(label: string, max = MAX_TEXT_LENGTH) {
  return z
    .string()
    .max(max, `${label} is longer than ${max} characters; shorten it`)
    .refine(v => !CONTROL_CHARACTER.test(v), {
      message: `${label} must be a single line without control characters`,
    })
    .refine(v => !TEMPLATE_EXPRESSION.test(v), {
      message: `${label} must not contain template expressions such as \${{ }}, {{ }} or {% %}; write plain text`,
    });
}

/** A project (and repository, namespace, entity) name. */
export const projectNameSchema = z
  .string()
  .max(40, 'name is longer than 40 characters; shorten it')
  .regex(
    /^[a-z][a-z0-9-]*[a-z0-9]$/,
    'name must be lowercase letters, digits and dashes, start with a letter and not end with a dash (e.g. churn-model)',
  )
  .refine(v => v.length >= 3, 'name must be at least 3 characters long')
  .refine(v => !v.includes('--'), 'name must not contain two dashes in a row');

function entityRefSchema(kind: 'group' | 'system' | 'resource') {
  return z
    .string()
    .max(200, `${kind} reference is longer than 200 characters`)
    .transform((value, ctx) => {
      try {
        const ref = parseEntityRef(value, {
          defaultKind: kind,
          defaultNamespace: 'default',
        });
        if (ref.kind.toLocaleLowerCase('en-US') !== kind) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `'${value}' is a ${ref.kind}, not a ${kind}; pick a ${kind} (e.g. ${kind}:default/<name>)`,
          });
          return z.NEVER;
        }
        if (!/^[a-z0-9][a-z0-9._-]*$/i.test(ref.name)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `'${value}' is not a valid ${kind} name`,
          });
          return z.NEVER;
        }
        return stringifyEntityRef(ref);
      } catch {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `'${value}' is not an entity reference; write ${kind}:default/<name>`,
        });
        return z.NEVER;
      }
    });
}

/** An owning group, normalised to `group:<namespace>/<name>`. */
export const groupRefSchema = entityRefSchema('group');
/** A system, normalised to `system:<namespace>/<name>`. */
export const systemRefSchema = entityRefSchema('system');
/** A data resource, normalised to `resource:<namespace>/<name>`. */
export const resourceRefSchema = entityRefSchema('resource');

export const classificationSchema = z.enum(DATA_CLASSIFICATIONS);

export const regionSchema = z
  .string()
  .regex(
    /^[a-z]{2}-[a-z]+-\d$/,
    'region must look like eu-west-1 (a cloud region name)',
  );

/** A workspace-relative path: validated for shape here, for safety where it is resolved (lib/workspace). */
export const relativePathSchema = (label: string) =>
  z
    .string()
    .min(1, `${label} must not be empty`)
    .max(300, `${label} is longer than 300 characters`)
    // eslint-disable-next-line no-control-regex
    .refine(v => !/[\u0000-\u001f]/.test(v), {
      message: `${label} must not contain control characters`,
    });

/**
 * A template renders an optional parameter nobody filled in as '' (or null): treat those as not given, so optional
 * fields stay optional and required ones say they are missing.
 */
function withoutBlanks(value: unknown): unknown {
  if (value === '' || value === null) return undefined;
  if (Array.isArray(value)) return value.map(withoutBlanks).filter(v => v !== undefined);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).flatMap(([k, v]) => {
        const cleaned = withoutBlanks(v);
        return cleaned === undefined ? [] : [[k, cleaned]];
      }),
    );
  }
  return value;
}

/**
 * Parses an action's input with its schema and turns the first problems into one InputError naming the action and
 * the fields, e.g. `forge:cost:estimate: owner: 'x' is not an entity reference; write group:default/<name>`.
 */
export function parseActionInput<T extends z.ZodTypeAny>(
  actionId: string,
  schema: T,
  input: unknown,
): z.output<T> {
  const parsed = schema.safeParse(withoutBlanks(input));
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map(issue =>
        issue.path.length
          ? `${issue.path.join('.')}: ${issue.message}`
          : issue.message,
      );
    throw new InputError(`${actionId}: ${problems.join('; ')}`);
  }
  return parsed.data;
}
