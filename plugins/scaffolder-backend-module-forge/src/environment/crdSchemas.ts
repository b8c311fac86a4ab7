// Minimal JSON Schemas for the custom resources Forge generates. kubernetes-models covers the built-in kinds; these
// CRDs ship their own OpenAPI schemas with their operators, which are not installable here, so the fields Forge
// writes are described below after the upstream CRDs (prometheus-operator v0.7x monitoring.coreos.com/v1, KServe
// serving.kserve.io/v1beta1, Kubeflow spark-operator sparkoperator.k8s.io/v1beta2). Unknown fields are refused where
// Forge owns the shape, so a typo in a blueprint fails the render tests instead of being ignored by a cluster.

const quantity = { anyOf: [{ type: 'string', pattern: '^[0-9.]+[a-zA-Z]*$' }, { type: 'integer' }] };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const labelSelector = {
  type: 'object',
  properties: {
    matchLabels: stringMap,
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
  additionalProperties: false,
};
const duration = { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' };
const resources = {
  type: 'object',
  properties: {
    requests: { type: 'object', additionalProperties: quantity },
    limits: { type: 'object', additionalProperties: quantity },
  },
  additionalProperties: false,
};

function crd(spec: object, required: string[] = ['spec']) {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', ...required],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          namespace: { type: 'string' },
          labels: stringMap,
          annotations: stringMap,
        },
      },
      spec,
    },
    additionalProperties: false,
  };
}

export const serviceMonitorSchema = crd({
  type: 'object',
  required: ['selector', 'endpoints'],
  properties: {
    jobLabel: { type: 'string' },
    selector: labelSelector,
    namespaceSelector: {
      type: 'object',
      properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } },
      additionalProperties: false,
    },
    endpoints: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          port: { type: 'string' },
          targetPort: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
          path: { type: 'string', pattern: '^/' },
          scheme: { enum: ['http', 'https'] },
          interval: duration,
          scrapeTimeout: duration,
          honorLabels: { type: 'boolean' },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
});

export const prometheusRuleSchema = crd({
  type: 'object',
  required: ['groups'],
  properties: {
    groups: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'rules'],
        properties: {
          name: { type: 'string', minLength: 1 },
          interval: duration,
          rules: {
            type: 'array',
            items: {
              type: 'object',
              required: ['expr'],
              oneOf: [{ required: ['alert'] }, { required: ['record'] }],
              properties: {
                alert: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' },
                record: { type: 'string', pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' },
                expr: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'integer' }] },
                for: duration,
                keep_firing_for: duration,
                labels: stringMap,
                annotations: stringMap,
              },
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
});

const predictorModel = {
  type: 'object',
  required: ['modelFormat'],
  properties: {
    modelFormat: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, version: { type: 'string' } },
      additionalProperties: false,
    },
    runtime: { type: 'string' },
    storageUri: { type: 'string', pattern: '^(s3|gs|https?|pvc|oci|hf)://' },
    protocolVersion: { enum: ['v1', 'v2', 'grpc-v2'] },
    resources,
    env: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, value: { type: 'string' } },
      },
    },
  },
  additionalProperties: false,
};

const container = {
  type: 'object',
  required: ['name', 'image'],
  properties: {
    name: { type: 'string' },
    image: { type: 'string' },
    args: { type: 'array', items: { type: 'string' } },
    command: { type: 'array', items: { type: 'string' } },
    env: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, value: { type: 'string' } },
      },
    },
    ports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['containerPort'],
        properties: {
          name: { type: 'string' },
          containerPort: { type: 'integer' },
          protocol: { enum: ['TCP', 'UDP'] },
        },
      },
    },
    resources,
    securityContext: { type: 'object' },
  },
  additionalProperties: false,
};

export const inferenceServiceSchema = crd({
  type: 'object',
  required: ['predictor'],
  properties: {
    transformer: {
      type: 'object',
      required: ['containers'],
      properties: {
        containers: { type: 'array', minItems: 1, items: container },
        serviceAccountName: { type: 'string' },
        minReplicas: { type: 'integer', minimum: 0 },
        maxReplicas: { type: 'integer', minimum: 1 },
      },
      additionalProperties: false,
    },
    predictor: {
      type: 'object',
      required: ['model'],
      properties: {
        model: predictorModel,
        serviceAccountName: { type: 'string' },
        minReplicas: { type: 'integer', minimum: 0 },
        maxReplicas: { type: 'integer', minimum: 1 },
        scaleTarget: { type: 'integer', minimum: 1 },
        scaleMetric: { enum: ['cpu', 'memory', 'concurrency', 'rps'] },
        canaryTrafficPercent: { type: 'integer', minimum: 0, maximum: 100 },
        timeout: { type: 'integer', minimum: 1 },
        nodeSelector: stringMap,
        tolerations: { type: 'array', items: { type: 'object' } },
        labels: stringMap,
        annotations: stringMap,
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});

const sparkPod = {
  type: 'object',
  properties: {
    cores: { type: 'integer', minimum: 1 },
    coreLimit: { type: 'string' },
    memory: { type: 'string', pattern: '^[0-9]+[kmgtKMGT]?$' },
    instances: { type: 'integer', minimum: 1 },
    serviceAccount: { type: 'string' },
    labels: stringMap,
    annotations: stringMap,
    env: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, value: { type: 'string' } },
      },
    },
    securityContext: { type: 'object' },
  },
  additionalProperties: false,
};

export const sparkApplicationSchema = crd({
  type: 'object',
  required: ['type', 'sparkVersion', 'driver', 'executor'],
  properties: {
    type: { enum: ['Java', 'Python', 'Scala', 'R'] },
    pythonVersion: { enum: ['2', '3'] },
    mode: { enum: ['cluster', 'client', 'in-cluster-client'] },
    image: { type: 'string' },
    imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    mainApplicationFile: { type: 'string' },
    arguments: { type: 'array', items: { type: 'string' } },
    sparkVersion: { type: 'string' },
    sparkConf: stringMap,
    hadoopConf: stringMap,
    restartPolicy: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['Never', 'Always', 'OnFailure'] },
        onFailureRetries: { type: 'integer', minimum: 0 },
        onFailureRetryInterval: { type: 'integer', minimum: 1 },
        onSubmissionFailureRetries: { type: 'integer', minimum: 0 },
        onSubmissionFailureRetryInterval: { type: 'integer', minimum: 1 },
      },
      additionalProperties: false,
    },
    driver: sparkPod,
    executor: sparkPod,
    timeToLiveSeconds: { type: 'integer', minimum: 0 },
  },
  additionalProperties: false,
});

/** The custom resources Forge can validate, by `apiVersion/kind`. */
export const CRD_SCHEMAS: Record<string, object> = {
  'monitoring.coreos.com/v1/ServiceMonitor': serviceMonitorSchema,
  'monitoring.coreos.com/v1/PrometheusRule': prometheusRuleSchema,
  'serving.kserve.io/v1beta1/InferenceService': inferenceServiceSchema,
  'sparkoperator.k8s.io/v1beta2/SparkApplication': sparkApplicationSchema,
};
