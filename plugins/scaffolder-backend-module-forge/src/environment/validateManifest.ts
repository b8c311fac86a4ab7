import Ajv, { ValidateFunction } from 'ajv';
import { k8s } from './kubernetesModels';
import { parseAllDocuments } from 'yaml';
import { CRD_SCHEMAS } from './crdSchemas';

interface ModelClass {
  new (data: any): { validate(): void };
}

// Built-in kinds: validated with the Kubernetes OpenAPI schemas compiled into kubernetes-models, plus the top-level
// fields each kind has (those schemas allow unknown fields; the API server in strict mode does not).
const BUILT_IN: Record<string, { Model: ModelClass; fields: string[] }> = {
  'v1/Namespace': { Model: k8s.core.Namespace, fields: ['spec'] },
  'v1/ResourceQuota': { Model: k8s.core.ResourceQuota, fields: ['spec'] },
  'v1/LimitRange': { Model: k8s.core.LimitRange, fields: ['spec'] },
  'v1/ServiceAccount': {
    Model: k8s.core.ServiceAccount,
    fields: ['automountServiceAccountToken', 'imagePullSecrets', 'secrets'],
  },
  'v1/ConfigMap': { Model: k8s.core.ConfigMap, fields: ['data', 'binaryData', 'immutable'] },
  'v1/Service': { Model: k8s.core.Service, fields: ['spec'] },
  'v1/PersistentVolumeClaim': { Model: k8s.core.PersistentVolumeClaim, fields: ['spec'] },
  'apps/v1/Deployment': { Model: k8s.apps.Deployment, fields: ['spec'] },
  'apps/v1/StatefulSet': { Model: k8s.apps.StatefulSet, fields: ['spec'] },
  'batch/v1/Job': { Model: k8s.batch.Job, fields: ['spec'] },
  'batch/v1/CronJob': { Model: k8s.batch.CronJob, fields: ['spec'] },
  'networking.k8s.io/v1/NetworkPolicy': { Model: k8s.networking.NetworkPolicy, fields: ['spec'] },
  'rbac.authorization.k8s.io/v1/RoleBinding': {
    Model: k8s.rbac.RoleBinding,
    fields: ['roleRef', 'subjects'],
  },
  'policy/v1/PodDisruptionBudget': { Model: k8s.policy.PodDisruptionBudget, fields: ['spec'] },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    Model: k8s.autoscaling.HorizontalPodAutoscaler,
    fields: ['spec'],
  },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const crdValidators = new Map<string, ValidateFunction>(
  Object.entries(CRD_SCHEMAS).map(([key, schema]) => [key, ajv.compile(schema)]),
);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Every `apiVersion/kind` Forge can validate. */
export const VALIDATED_KINDS = [...Object.keys(BUILT_IN), ...Object.keys(CRD_SCHEMAS)];

function metadataProblems(doc: Record<string, any>): string[] {
  const problems: string[] = [];
  const meta = doc.metadata;
  if (!meta || typeof meta !== 'object') return ['metadata is missing'];
  if (typeof meta.name !== 'string' || !DNS_SUBDOMAIN.test(meta.name) || meta.name.length > 253) {
    problems.push(`metadata.name '${meta.name}' is not a valid Kubernetes name (lowercase DNS subdomain)`);
  }
  if (meta.namespace !== undefined && (typeof meta.namespace !== 'string' || meta.namespace.length > 63 || !DNS_SUBDOMAIN.test(meta.namespace))) {
    problems.push(`metadata.namespace '${meta.namespace}' is not a valid namespace name`);
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    if (!LABEL_KEY.test(key)) problems.push(`label key '${key}' is not valid`);
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push(`label ${key}: '${String(value)}' is not a valid label value (at most 63 characters)`);
    }
  }
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    if (typeof value !== 'string') problems.push(`annotation ${key} must be a string`);
  }
  return problems;
}

/** The problems of one Kubernetes document; an empty list means it validates. */
export function validateManifest(doc: unknown): string[] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return ['not a Kubernetes object (expected a mapping with apiVersion and kind)'];
  }
  const object = doc as Record<string, any>;
  const key = `${object.apiVersion}/${object.kind}`;
  const builtIn = BUILT_IN[key];
  const crd = crdValidators.get(key);
  if (!builtIn && !crd) {
    return [`no schema for ${key}; Forge validates ${VALIDATED_KINDS.join(', ')}`];
  }
  const problems = metadataProblems(object);
  if (builtIn) {
    const allowed = new Set(['apiVersion', 'kind', 'metadata', ...builtIn.fields]);
    for (const field of Object.keys(object)) {
      if (!allowed.has(field)) problems.push(`unknown field '${field}' for ${key}`);
    }
    try {
      new builtIn.Model(object).validate();
    } catch (e) {
      problems.push((e as Error).message);
    }
  } else if (crd && !crd(object)) {
    for (const error of crd.errors ?? []) {
      problems.push(`${error.instancePath || '/'} ${error.message}${error.params && 'additionalProperty' in error.params ? ` '${(error.params as any).additionalProperty}'` : ''}`);
    }
  }
  return problems;
}

export interface ManifestProblem {
  file: string;
  /** 1-based position of the document in the file. */
  document: number;
  object: string;
  problems: string[];
}

/** Parses each (multi-document) YAML file and validates every document in it. */
export function validateManifestFiles(
  files: Array<{ path: string; content: string }>,
): { documents: number; problems: ManifestProblem[] } {
  let documents = 0;
  const problems: ManifestProblem[] = [];
  for (const file of files) {
    for (const [index, parsed] of parseAllDocuments(file.content).entries()) {
      if (parsed.errors.length) {
        problems.push({
          file: file.path,
          document: index + 1,
          object: '?',
          problems: parsed.errors.map(e => `YAML: ${e.message}`),
        });
        continue;
      }
      const value = parsed.toJSON();
      if (value === null || value === undefined) continue;
      documents += 1;
      const found = validateManifest(value);
      if (found.length) {
        problems.push({
          file: file.path,
          document: index + 1,
          object: `${value?.kind ?? '?'}/${value?.metadata?.name ?? '?'}`,
          problems: found,
        });
      }
    }
  }
  return { documents, problems };
}
