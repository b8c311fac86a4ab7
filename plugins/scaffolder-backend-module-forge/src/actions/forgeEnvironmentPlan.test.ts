import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { validateManifestFiles } from '../environment/validateManifest';
import {
  actionContext,
  demoCatalog,
  InMemoryComplianceGateway,
  loadBaselinePack,
  RecordingAuditor,
  testSettings,
} from '../__testUtils__';
import { createForgeEnvironmentPlanAction } from './forgeEnvironmentPlan';

const baseInput = {
  name: 'churn-model',
  owner: 'group:default/retention-analytics',
  system: 'system:default/customer-retention',
  blueprint: 'ml-training-pipeline@1.0.0',
  region: 'eu-west-1',
  dataSources: ['resource:default/policyholder-dataset', 'resource:default/policy-events-stream'],
  profile: 'large',
  gpuType: 'nvidia-t4',
  gpuCount: 1,
  storageGi: 200,
  workload: { kind: 'batch' },
};

describe('forge:environment:plan', () => {
  let workspace: string;
  let auditor: RecordingAuditor;
  const action = () =>
    createForgeEnvironmentPlanAction({ settings: testSettings(), catalog: demoCatalog(), auditor });

  beforeEach(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-plan-'));
    auditor = new RecordingAuditor();
  });
  afterEach(() => fs.rmSync(workspace, { recursive: true, force: true }));

  function context(input: Record<string, unknown>) {
    return actionContext({ input, workspacePath: workspace });
  }
  const read = (file: string) => fs.readFileSync(path.join(workspace, 'environment', file), 'utf8');
  const docs = (file: string) => parseAllDocuments(read(file)).map(d => d.toJSON());
  const output = (ctx: any, name: string) =>
    (ctx.output as jest.Mock).mock.calls.find(c => c[0] === name)?.[1];

  it('writes a validated environment request with quota, network, RBAC, identity, monitoring and Terraform', async () => {
    const ctx = context(baseInput);
    await action().handler(ctx);

    const files = output(ctx, 'files');
    expect(files).toEqual(
      expect.arrayContaining([
        'environment/kubernetes/namespace.yaml',
        'environment/kubernetes/quota.yaml',
        'environment/kubernetes/network-policies.yaml',
        'environment/kubernetes/rbac.yaml',
        'environment/kubernetes/monitoring.yaml',
        'environment/terraform/main.tf.json',
        'environment/request.yaml',
      ]),
    );
    // Every Kubernetes file on disk validates.
    const kubernetes = files
      .filter((f: string) => f.startsWith('environment/kubernetes/') && !f.endsWith('kustomization.yaml'))
      .map((f: string) => ({ path: f, content: fs.readFileSync(path.join(workspace, f), 'utf8') }));
    const validation = validateManifestFiles(kubernetes);
    expect(validation.problems).toEqual([]);
    expect(output(ctx, 'objectCount')).toBe(validation.documents);

    const [quota, limits] = docs('kubernetes/quota.yaml');
    expect(quota.spec.hard).toMatchObject({
      'requests.cpu': '8',
      'requests.memory': '32Gi',
      'requests.nvidia.com/gpu': '1',
      'requests.storage': '200Gi',
    });
    expect(limits.kind).toBe('LimitRange');

    const policies = docs('kubernetes/network-policies.yaml');
    expect(policies[0]).toMatchObject({
      metadata: { name: 'default-deny-all' },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    const egress = policies.filter((p: any) => p.metadata.name.startsWith('egress-'));
    // Egress to exactly the two declared sources: the S3 bucket over 443, Kafka over 9093.
    expect(
      egress.map((p: any) => [p.metadata.annotations['forge.io/data-source'], p.spec.egress[0].ports[0].port, p.spec.egress[0].to[0].ipBlock.cidr]),
    ).toEqual([
      ['resource:default/policyholder-dataset', 443, '10.99.0.0/24'],
      ['resource:default/policy-events-stream', 9093, '10.20.0.0/16'],
    ]);

    const [serviceAccount, binding] = docs('kubernetes/rbac.yaml');
    expect(serviceAccount.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(
      'arn:aws:iam::123456789012:role/forge-churn-model',
    );
    expect(binding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:retention-analytics' },
    ]);

    const [monitor, rule] = docs('kubernetes/monitoring.yaml');
    expect(monitor.kind).toBe('ServiceMonitor');
    expect(rule.spec.groups[0].rules.map((r: any) => r.alert)).toEqual([
      'ForgeQuotaNearlyExhausted',
      'ForgeJobFailed',
    ]);

    // Restricted sources: the project is restricted, with PII, a key of its own and 7 years' retention.
    expect(output(ctx, 'classification')).toBe('restricted');
    expect(output(ctx, 'containsPii')).toBe(true);
    const terraform = JSON.parse(read('terraform/main.tf.json'));
    expect(terraform.resource.aws_kms_key.project.enable_key_rotation).toBe(true);
    expect(
      terraform.resource.aws_s3_bucket_server_side_encryption_configuration.project.rule[0]
        .apply_server_side_encryption_by_default[0],
    ).toEqual({ sse_algorithm: 'aws:kms', kms_master_key_id: '${aws_kms_key.project.arn}' });
    expect(terraform.resource.aws_s3_bucket_lifecycle_configuration.project.rule[0].expiration[0].days).toBe(2555);
    expect(terraform.resource.aws_iam_role.workload.name).toBe('forge-churn-model');
    expect(output(ctx, 'storage')).toEqual({
      bucket: 'mm-forge-churn-model-eu-west-1',
      endpoint: 's3://mm-forge-churn-model-eu-west-1/',
      encryption: 'cmk',
      retentionDays: 2555,
    });

    const request = parse(read('request.yaml'));
    expect(request.spec).toMatchObject({
      namespace: 'churn-model',
      classification: 'restricted',
      quota: { gpu: 1, gpuType: 'nvidia-t4' },
      dataSources: baseInput.dataSources,
    });
    expect(auditor.events).toEqual([
      expect.objectContaining({ eventId: 'blueprint-environment-plan', outcome: 'success' }),
    ]);
  });

  it('never classifies lower than the sources, and keeps a higher request', async () => {
    const ctx = context({
      ...baseInput,
      classification: 'public',
      dataSources: ['resource:default/market-rates'],
      gpuCount: 0,
    });
    await action().handler(ctx);
    expect(output(ctx, 'classification')).toBe('internal');
    expect(output(ctx, 'containsPii')).toBe(false);
    expect(output(ctx, 'storage')).toMatchObject({ encryption: 'kms', retentionDays: 730 });

    const ctx2 = context({ ...baseInput, classification: 'confidential', dataSources: ['resource:default/public-census-data'], gpuCount: 0 });
    await action().handler(ctx2);
    expect(output(ctx2, 'classification')).toBe('confidential');
  });

  it('gives a service an ingress opening, room for a canary replica and SLO and drift alerts', async () => {
    const ctx = context({
      ...baseInput,
      name: 'fraud-scorer',
      profile: 'medium',
      replicas: 2,
      gpuCount: 0,
      workload: { kind: 'service', ingressFromNamespaces: ['istio-system'], ingressPort: 8080 },
      slo: { availability: 0.995, latencyP95Ms: 250 },
    });
    await action().handler(ctx);
    expect(output(ctx, 'quota')).toMatchObject({ cpu: 12, memoryGi: 48, gpu: 0 });
    const ingress = docs('kubernetes/network-policies.yaml').find((p: any) => p.metadata.name === 'allow-ingress');
    expect(ingress.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'istio-system',
    });
    const alerts = docs('kubernetes/monitoring.yaml')[1].spec.groups[0].rules.map((r: any) => r.alert);
    expect(alerts).toEqual(
      expect.arrayContaining(['ForgeErrorBudgetFastBurn', 'ForgeLatencySloBreached', 'ForgeModelDriftDetected']),
    );
  });

  it.each([
    [{ region: 'ap-south-1' }, 'region ap-south-1 is not allowed; choose one of eu-west-1'],
    [{ dataSources: ['resource:default/nope'] }, 'data source resource:default/nope is not in the catalog'],
    [{ dataSources: ['group:default/data-science'] }, "is a group, not a resource"],
    [{ profile: 'galactic' }, "unknown compute profile 'galactic'"],
    [{ gpuType: 'voodoo-9000' }, "unknown GPU type 'voodoo-9000'"],
    [{ owner: 'user:default/guest' }, 'is a user, not a group'],
  ])('refuses %j with a clear message', async (change, message) => {
    await expect(action().handler(context({ ...baseInput, ...change }))).rejects.toThrow(message);
    expect(fs.readdirSync(workspace)).toEqual([]);
  });

  describe('answers the policy would fail, refused before anything is created (issue 11)', () => {
    const serving = {
      ...baseInput,
      blueprint: 'ml-model-serving@1.0.0',
      profile: 'medium',
      workload: { kind: 'service' },
    };
    const withPolicy = (packs = [loadBaselinePack()]) =>
      createForgeEnvironmentPlanAction({
        settings: testSettings(),
        catalog: demoCatalog(),
        auditor,
        policies: new InMemoryComplianceGateway(packs),
      });

    it('refuses a GPU quota above the policy pack\'s maxGpuQuota, also on the review page\'s dry run', async () => {
      // 2 GPUs x (5 replicas + 1 for rolling updates) = 12 > 8 in policies/baseline.yaml: created at 97 before.
      const answers = { ...serving, gpuCount: 2, replicas: 5, minReplicas: 2 };
      const message =
        'forge:environment:plan: the namespace would need 12 GPUs (2 per replica x 6 replicas: at most 5, plus one for rolling updates), more than the 8 the baseline policy pack allows a project (maxGpuQuota); choose fewer GPUs per replica or fewer maximum replicas';
      await expect(withPolicy().handler(context(answers))).rejects.toThrow(message);
      await expect(
        withPolicy().handler(actionContext({ input: answers, workspacePath: workspace, isDryRun: true })),
      ).rejects.toThrow(message);
      expect(fs.readdirSync(workspace)).toEqual([]);
      // 2 x (3 + 1) = 8 is allowed.
      await withPolicy().handler(context({ ...answers, replicas: 3 }));
    });

    it('reads the limit from the policy, not from a number of its own', async () => {
      const pack = loadBaselinePack();
      const answers = { ...serving, gpuCount: 2, replicas: 5 };
      await withPolicy([{ ...pack, parameters: { ...pack.parameters, maxGpuQuota: 16 } }]).handler(context(answers));
      await expect(
        withPolicy([{ ...pack, parameters: { ...pack.parameters, maxGpuQuota: 4 } }]).handler(
          context({ ...answers, gpuCount: 1, replicas: 4 }),
        ),
      ).rejects.toThrow('the namespace would need 5 GPUs');
    });

    it('refuses a minimum of replicas above the maximum', async () => {
      await expect(
        withPolicy().handler(context({ ...serving, gpuCount: 0, replicas: 2, minReplicas: 5 })),
      ).rejects.toThrow(
        'forge:environment:plan: the minimum replicas (5) are more than the maximum (2); choose a minimum no higher than the maximum',
      );
      expect(fs.readdirSync(workspace)).toEqual([]);
    });
  });
});
