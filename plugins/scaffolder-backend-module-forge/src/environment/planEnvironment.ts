import { parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { DataClassification } from '@internal/plugin-compliance-common';
import { stringify } from 'yaml';
import { GeneratedFile } from '../lib/workspace';
import { EnvironmentSettings } from '../settings';
import { cidrsFor, parseEndpoint } from './egress';
import { encryptionFor, ProjectStorage, renderStorageTerraform } from './terraform';
import { validateManifestFiles } from './validateManifest';

/** A data source the project reads, as the catalog describes it. */
export interface DataSource {
  ref: string;
  endpoint?: string;
  classification?: string;
  containsPii?: boolean;
}

/** How the project's workload runs, which decides its network openings and alerts. */
export type WorkloadKind = 'batch' | 'service' | 'workspace';

export interface EnvironmentRequest {
  project: string;
  namespace: string;
  owner: string;
  system: string;
  blueprint: string;
  classification: DataClassification;
  containsPii: boolean;
  region: string;
  dataSources: DataSource[];
  quota: { cpu: number; memoryGi: number; gpu: number; gpuType?: string; storageGi: number };
  workload: {
    kind: WorkloadKind;
    metricsPort: number;
    /** Namespaces allowed to reach the workload (ingress gateway, notebook proxy); none for batch jobs. */
    ingressFromNamespaces: string[];
    ingressPort?: number;
  };
  /** Service level objectives for services: availability (e.g. 0.995) and p95 latency in milliseconds. */
  slo?: { availability: number; latencyP95Ms: number };
}

export interface EgressRule {
  source: string;
  host: string;
  port: number;
  cidrs: string[];
}

/** The environment request, ready for a GitOps repository. */
export interface EnvironmentPlan {
  namespace: string;
  files: GeneratedFile[];
  quota: EnvironmentRequest['quota'];
  storage: ProjectStorage;
  egress: EgressRule[];
  serviceAccount: { name: string; identity: string; provider: string };
  teamGroup: string;
  /** Number of Kubernetes objects rendered (all validated). */
  objectCount: number;
}

const yamlDocs = (docs: object[]) =>
  docs.map(d => stringify(d, { lineWidth: 0 })).join('---\n');

function kubernetesName(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
}

const MONITORING_NAMESPACE = 'monitoring';

/**
 * Renders the environment request of a project: namespace, quota and limits, default-deny network policy with
 * egress to the declared data sources only, RBAC for the owning team, a workload-identity ServiceAccount,
 * monitoring, and Terraform for the project's storage. Every Kubernetes object is validated before it is returned.
 * Pure: reads nothing and writes nothing.
 */
export function planEnvironment(
  request: EnvironmentRequest,
  settings: EnvironmentSettings,
): EnvironmentPlan {
  const { namespace, project } = request;
  const ownerName = parseEntityRef(request.owner, { defaultKind: 'group' }).name;
  const systemName = parseEntityRef(request.system, { defaultKind: 'system' }).name;
  if (!settings.workloadIdentity) {
    throw new InputError(
      'workload identity is not configured; set forge.blueprints.environment.workloadIdentity (provider and identityTemplate)',
    );
  }
  const labels = {
    'app.kubernetes.io/managed-by': 'forge',
    'app.kubernetes.io/part-of': project,
    'forge.io/owner': ownerName,
    'forge.io/system': systemName,
    'forge.io/data-classification': request.classification,
    'forge-project': project,
  };
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    namespace,
    labels,
    ...extra,
  });

  // Namespace, quota, limits.
  const namespaceDoc = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: {
        ...labels,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
      annotations: {
        'forge.io/blueprint': request.blueprint,
        'forge.io/project': `component:default/${project}`,
        'forge.io/region': request.region,
        'forge.io/contains-pii': String(request.containsPii),
      },
    },
  };
  const { quota } = request;
  const quotaDoc = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: meta('compute'),
    spec: {
      hard: {
        'requests.cpu': String(quota.cpu),
        'limits.cpu': String(quota.cpu * 2),
        'requests.memory': `${quota.memoryGi}Gi`,
        'limits.memory': `${quota.memoryGi}Gi`,
        // Extended resources are quota'd on requests only; 0 forbids GPUs outright.
        'requests.nvidia.com/gpu': String(quota.gpu),
        'requests.storage': `${quota.storageGi}Gi`,
        persistentvolumeclaims: '10',
        'services.loadbalancers': '0',
        'services.nodeports': '0',
      },
    },
  };
  const limitDoc = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: meta('defaults'),
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: '1', memory: '2Gi' },
          defaultRequest: { cpu: '250m', memory: '512Mi' },
          max: { cpu: String(quota.cpu), memory: `${quota.memoryGi}Gi` },
        },
      ],
    },
  };

  // Network: deny everything, then open DNS, scraping, the declared ingress and egress to each data source.
  const egress: EgressRule[] = request.dataSources
    .filter(s => s.endpoint)
    .map(s => {
      const target = parseEndpoint(s.endpoint!);
      return {
        source: s.ref,
        host: target.host,
        port: target.port,
        cidrs: cidrsFor(target, settings.egressCidrs, settings.defaultEgressCidrs),
      };
    });
  const networkDocs: object[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('default-deny-all'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('allow-dns'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('allow-metrics-scrape'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } } },
            ],
            ports: [{ protocol: 'TCP', port: request.workload.metricsPort }],
          },
        ],
      },
    },
  ];
  if (request.workload.ingressFromNamespaces.length) {
    networkDocs.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('allow-ingress'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: request.workload.ingressFromNamespaces.map(ns => ({
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            })),
            ...(request.workload.ingressPort
              ? { ports: [{ protocol: 'TCP', port: request.workload.ingressPort }] }
              : {}),
          },
        ],
      },
    });
  }
  for (const rule of egress) {
    const sourceName = parseEntityRef(rule.source).name;
    networkDocs.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(kubernetesName(`egress-${sourceName}`), {
        annotations: {
          'forge.io/data-source': rule.source,
          'forge.io/endpoint': `${rule.host}:${rule.port}`,
        },
      }),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: rule.cidrs.map(cidr => ({ ipBlock: { cidr } })),
            ports: [{ protocol: 'TCP', port: rule.port }],
          },
        ],
      },
    });
  }

  // Identity and access: the team edits its namespace; the workload runs as a ServiceAccount with a cloud identity.
  const identity = settings.workloadIdentity.identityTemplate
    .replaceAll('{namespace}', namespace)
    .replaceAll('{name}', project);
  const identityAnnotation: Record<string, string> = {
    aws: 'eks.amazonaws.com/role-arn',
    gcp: 'iam.gke.io/gcp-service-account',
    azure: 'azure.workload.identity/client-id',
  };
  const teamGroup = `${settings.groupPrefix}${ownerName}`;
  const serviceAccountDoc = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(project, {
      annotations: { [identityAnnotation[settings.workloadIdentity.provider]]: identity },
      ...(settings.workloadIdentity.provider === 'azure'
        ? { labels: { ...labels, 'azure.workload.identity/use': 'true' } }
        : {}),
    }),
    automountServiceAccountToken: false,
  };
  const roleBindingDoc = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta('team-edit'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: teamGroup }],
  };

  // Monitoring: scrape the workload and alert on what matters for its kind.
  const selector = { matchLabels: { 'app.kubernetes.io/part-of': project } };
  const serviceMonitorDoc = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: meta(project),
    spec: {
      selector,
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
    },
  };
  const ns = `namespace="${namespace}"`;
  const rules: object[] = [
    {
      alert: 'ForgeQuotaNearlyExhausted',
      expr: `kube_resourcequota{${ns}, type="used"} / ignoring(type) kube_resourcequota{${ns}, type="hard"} > 0.9`,
      for: '15m',
      labels: { severity: 'warning', team: ownerName },
      annotations: {
        summary: `${namespace} uses more than 90% of its {{ $labels.resource }} quota`,
        runbook: 'Request a larger quota through Forge, or release what is unused.',
      },
    },
  ];
  if (request.workload.kind === 'batch') {
    rules.push({
      alert: 'ForgeJobFailed',
      expr: `sum by (job_name) (kube_job_status_failed{${ns}}) > 0`,
      for: '5m',
      labels: { severity: 'warning', team: ownerName },
      annotations: {
        summary: `Job {{ $labels.job_name }} in ${namespace} failed`,
        runbook: 'Read the job logs; rerun from the pipeline once fixed.',
      },
    });
  }
  if (request.workload.kind === 'service' && request.slo) {
    const errorBudget = +(1 - request.slo.availability).toFixed(6);
    rules.push(
      {
        alert: 'ForgeErrorBudgetFastBurn',
        expr: `sum(rate(revision_request_count{${ns}, response_code_class="5xx"}[1h])) / sum(rate(revision_request_count{${ns}}[1h])) > ${+(14.4 * errorBudget).toFixed(6)}`,
        for: '5m',
        labels: { severity: 'critical', team: ownerName, slo: 'availability' },
        annotations: {
          summary: `${namespace} burns its ${request.slo.availability * 100}% availability budget 14x too fast`,
          runbook: 'Roll back the canary (canaryTrafficPercent: 0) and investigate the errors.',
        },
      },
      {
        alert: 'ForgeLatencySloBreached',
        expr: `histogram_quantile(0.95, sum by (le) (rate(revision_request_latencies_bucket{${ns}}[10m]))) > ${request.slo.latencyP95Ms}`,
        for: '10m',
        labels: { severity: 'warning', team: ownerName, slo: 'latency' },
        annotations: {
          summary: `p95 latency of ${namespace} above ${request.slo.latencyP95Ms} ms`,
          runbook: 'Check replica count and autoscaling; scale the predictor or roll back.',
        },
      },
      {
        alert: 'ForgeModelDriftDetected',
        expr: `max by (feature) (forge_model_feature_drift_score{${ns}}) > 0.2`,
        for: '1h',
        labels: { severity: 'warning', team: ownerName },
        annotations: {
          summary: `Input drift on feature {{ $labels.feature }} in ${namespace}`,
          runbook: 'Compare recent inputs with the training data; retrain or recalibrate the model.',
        },
      },
    );
  }
  if (request.workload.kind === 'workspace') {
    rules.push({
      alert: 'ForgeWorkspaceVolumeNearlyFull',
      expr: `kubelet_volume_stats_used_bytes{${ns}} / kubelet_volume_stats_capacity_bytes{${ns}} > 0.9`,
      for: '30m',
      labels: { severity: 'warning', team: ownerName },
      annotations: {
        summary: `A volume in ${namespace} is more than 90% full`,
        runbook: 'Clean up the workspace volume or request more storage through Forge.',
      },
    });
  }
  const prometheusRuleDoc = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: meta(`${project}-alerts`),
    spec: { groups: [{ name: `${namespace}.rules`, rules }] },
  };

  const kubernetesFiles: GeneratedFile[] = [
    { path: 'kubernetes/namespace.yaml', content: yamlDocs([namespaceDoc]) },
    { path: 'kubernetes/quota.yaml', content: yamlDocs([quotaDoc, limitDoc]) },
    { path: 'kubernetes/network-policies.yaml', content: yamlDocs(networkDocs) },
    { path: 'kubernetes/rbac.yaml', content: yamlDocs([serviceAccountDoc, roleBindingDoc]) },
    { path: 'kubernetes/monitoring.yaml', content: yamlDocs([serviceMonitorDoc, prometheusRuleDoc]) },
  ];
  const validation = validateManifestFiles(kubernetesFiles);
  if (validation.problems.length) {
    throw new InputError(
      `the environment request does not validate against the Kubernetes schemas: ${validation.problems
        .map(p => `${p.file} ${p.object}: ${p.problems.join(', ')}`)
        .join('; ')}`,
    );
  }

  // Storage: encryption and retention follow the classification.
  const storage: ProjectStorage = {
    bucket: `mm-forge-${project}-${request.region}`.slice(0, 63).replace(/-+$/, ''),
    endpoint: '',
    encryption: encryptionFor(request.classification),
    retentionDays: settings.retentionDays[request.classification],
  };
  storage.endpoint = `s3://${storage.bucket}/`;
  const roleName =
    settings.workloadIdentity.provider === 'aws' ? identity.match(/:role\/(.+)$/)?.[1] : undefined;
  const terraform = renderStorageTerraform({
    project,
    namespace,
    region: request.region,
    owner: ownerName,
    classification: request.classification,
    storage,
    workloadRoleName: roleName,
    tags: {
      'forge-project': project,
      'forge-owner': ownerName,
      'forge-data-classification': request.classification,
    },
  });

  const summary = {
    apiVersion: 'forge.io/v1',
    kind: 'EnvironmentRequest',
    metadata: { name: namespace },
    spec: {
      project: `component:default/${project}`,
      blueprint: request.blueprint,
      owner: request.owner,
      system: request.system,
      region: request.region,
      classification: request.classification,
      containsPii: request.containsPii,
      namespace,
      quota: {
        cpu: quota.cpu,
        memoryGi: quota.memoryGi,
        gpu: quota.gpu,
        ...(quota.gpuType ? { gpuType: quota.gpuType } : {}),
        storageGi: quota.storageGi,
      },
      dataSources: request.dataSources.map(s => s.ref),
      egress: egress.map(e => ({ source: e.source, host: e.host, port: e.port, cidrs: e.cidrs })),
      storage,
      serviceAccount: { name: project, identity },
      teamGroup,
      monitoring: { serviceMonitor: project, prometheusRule: `${project}-alerts`, alerts: rules.map(r => (r as { alert: string }).alert) },
    },
  };

  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace,
    resources: kubernetesFiles.map(f => f.path.replace('kubernetes/', '')),
  };

  const readme = [
    `# Environment request: ${namespace}`,
    '',
    `Requested by Forge for [${project}](component:default/${project}) (${request.blueprint}), owned by ${request.owner}.`,
    'Apply it through the GitOps pipeline; change it with a reviewed pull request, not by hand.',
    '',
    '| what | value |',
    '| --- | --- |',
    `| region | ${request.region} |`,
    `| data classification | ${request.classification}${request.containsPii ? ' (personal data)' : ''} |`,
    `| quota | ${quota.cpu} vCPU, ${quota.memoryGi} GiB memory, ${quota.gpu} GPU${quota.gpuType ? ` (${quota.gpuType})` : ''}, ${quota.storageGi} GiB volumes |`,
    `| network | default deny; DNS; scraping from ${MONITORING_NAMESPACE}${request.workload.ingressFromNamespaces.length ? `; ingress from ${request.workload.ingressFromNamespaces.join(', ')}` : ''} |`,
    ...egress.map(e => `| egress | ${e.source}: ${e.host}:${e.port} via ${e.cidrs.join(', ')} |`),
    `| access | group ${teamGroup} edits the namespace |`,
    `| workload identity | ServiceAccount ${project} -> ${identity} |`,
    `| storage | ${storage.endpoint}, encryption ${storage.encryption}, retention ${storage.retentionDays} days |`,
    `| alerts | ${summary.spec.monitoring.alerts.join(', ')} |`,
    '',
    'Files: `kubernetes/` (apply with `kubectl apply -k kubernetes/`), `terraform/` (storage and workload role), `request.yaml` (this request as data).',
    '',
  ].join('\n');

  return {
    namespace,
    files: [
      { path: 'README.md', content: readme },
      { path: 'request.yaml', content: stringify(summary, { lineWidth: 0 }) },
      { path: 'kubernetes/kustomization.yaml', content: stringify(kustomization) },
      ...kubernetesFiles,
      { path: 'terraform/main.tf.json', content: `${JSON.stringify(terraform, null, 2)}\n` },
    ],
    quota: { ...quota },
    storage,
    egress,
    serviceAccount: { name: project, identity, provider: settings.workloadIdentity.provider },
    teamGroup,
    objectCount: validation.documents,
  };
}
