// Test helpers: the real demo catalog, a price catalog with round figures, an auditor that records, and an
// in-memory compliance backend that behaves like the real one's exemption queue.
import { AuditorService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { mockCredentials } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { JsonObject } from '@backstage/types';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import { BlueprintSettings, readBlueprintSettings } from '../settings';
import {
  Exemption,
  ExemptionRequest,
  ExemptionStatus,
  Fact,
  GateEvaluationRecord,
  parsePolicyPack,
  PolicyPack,
} from '@internal/plugin-compliance-common';
import { ComplianceGateway } from '../compliance/ComplianceGateway';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** The demo catalog Forge ships (groups, systems, data resources, demo projects), read from catalog/. */
export function loadDemoEntities(): Entity[] {
  const files = [
    'catalog/org/groups.yaml',
    'catalog/org/users.yaml',
    'catalog/systems/systems.yaml',
    'catalog/systems/domains.yaml',
    'catalog/resources/data-resources.yaml',
  ];
  return files.flatMap(file =>
    parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'))
      .map(d => d.toJSON() as Entity)
      .filter(Boolean)
      .map(e => ({
        ...e,
        metadata: { namespace: 'default', ...e.metadata },
      })),
  );
}

export function demoCatalog(extra: Entity[] = []) {
  return catalogServiceMock({ entities: [...loadDemoEntities(), ...extra] });
}

/** Round prices so expected figures can be worked out by hand in the tests. */
export const TEST_FORGE_CONFIG = {
  dataDir: '/tmp/forge-test-data',
  blueprints: {
    currency: 'EUR',
    regions: ['eu-west-1', 'eu-central-1', 'eu-north-1', 'us-east-1'],
    pricing: {
      hoursPerMonth: 730,
      computeProfiles: {
        small: { cpu: 2, memoryGi: 8, hourly: 0.1 },
        medium: { cpu: 4, memoryGi: 16, hourly: 0.2 },
        large: { cpu: 8, memoryGi: 32, hourly: 0.4 },
      },
      gpuTypes: {
        'nvidia-t4': { memoryGi: 16, hourly: 0.5 },
        'nvidia-a100': { memoryGi: 80, hourly: 4 },
      },
      storage: { object: { perGiBMonth: 0.02 }, block: { perGiBMonth: 0.1 } },
      managedServices: {
        'mlflow-tracking': { monthly: 150 },
        'model-monitoring': { monthly: 80 },
      },
      limits: {
        default: { approvalThreshold: 2000, hardLimit: 10000 },
        groups: {
          'retention-analytics': { approvalThreshold: 1500, hardLimit: 5000 },
        },
      },
    },
    environment: {
      workloadIdentity: {
        provider: 'aws',
        identityTemplate: 'arn:aws:iam::123456789012:role/forge-{namespace}',
      },
      groupPrefix: 'oidc:',
      egressCidrs: {
        'data.meridian-mutual.internal': ['10.20.0.0/16'],
        'ml.meridian-mutual.internal': ['10.30.0.0/16'],
        s3: ['10.99.0.0/24'],
      },
    },
  },
};

export function testSettings(
  overrides: Partial<BlueprintSettings> = {},
): BlueprintSettings {
  return {
    ...readBlueprintSettings(new ConfigReader({ forge: TEST_FORGE_CONFIG })),
    ...overrides,
  };
}

export interface RecordedAuditEvent {
  eventId: string;
  severityLevel?: string;
  meta?: JsonObject;
  outcome?: 'success' | 'fail';
  error?: string;
  resultMeta?: JsonObject;
}

/** An auditor that keeps the events it was given, with their outcome. */
export class RecordingAuditor implements AuditorService {
  readonly events: RecordedAuditEvent[] = [];

  async createEvent(options: Parameters<AuditorService['createEvent']>[0]) {
    const event: RecordedAuditEvent = {
      eventId: options.eventId,
      severityLevel: options.severityLevel,
      meta: options.meta,
    };
    this.events.push(event);
    return {
      success: async (o?: { meta?: JsonObject }) => {
        event.outcome = 'success';
        event.resultMeta = o?.meta;
      },
      fail: async (o: { error: Error; meta?: JsonObject }) => {
        event.outcome = 'fail';
        event.error = o.error.message;
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// An in-memory compliance backend: the baseline pack from policies/, an exemption queue and evidence records.


export function loadBaselinePack(): PolicyPack {
  return parsePolicyPack(
    fs.readFileSync(path.join(REPO_ROOT, 'policies/baseline.yaml'), 'utf8'),
    'baseline.yaml',
  );
}

export class InMemoryComplianceGateway implements ComplianceGateway {
  readonly exemptions: Exemption[] = [];
  readonly records: Array<GateEvaluationRecord & { id: string }> = [];
  private sequence = 0;

  constructor(private readonly packs: PolicyPack[] = [loadBaselinePack()]) {}

  async listPolicyPacks() {
    return this.packs;
  }

  async listExemptions(filter: { entityRef?: string; checkId?: string; status?: ExemptionStatus }) {
    return this.exemptions.filter(
      e =>
        (!filter.entityRef || e.entityRef === filter.entityRef) &&
        (!filter.checkId || e.checkId === filter.checkId) &&
        (!filter.status || e.status === filter.status),
    );
  }

  async requestExemption(request: ExemptionRequest) {
    const exemption: Exemption = {
      id: `ex-${++this.sequence}`,
      kind: request.kind ?? 'exemption',
      entityRef: request.entityRef,
      checkId: request.checkId,
      justification: request.justification,
      compensatingControl: request.compensatingControl,
      // As the compliance backend does: the person a service files for is the requester.
      requestedBy: request.onBehalfOf ?? 'service:plugin:scaffolder',
      requestedAt: new Date().toISOString(),
      expiresAt: request.expiresAt,
      status: 'pending',
      ...(request.subject ? { subject: request.subject } : {}),
    };
    this.exemptions.push(exemption);
    return exemption;
  }

  async recordGateEvaluation(record: GateEvaluationRecord) {
    const id = `ev-${++this.sequence}`;
    this.records.push({ ...record, id });
    return { id };
  }

  readonly evaluated: string[] = [];

  async evaluateNow(entityRef: string) {
    this.evaluated.push(entityRef);
    return {};
  }

  readonly facts: Array<{ entityRef: string; fact: Fact }> = [];

  async pushFact(entityRef: string, fact: Fact) {
    this.facts.push({ entityRef, fact });
    return {};
  }

  /** What Compliance does in the portal. */
  approve(id: string, days = 30) {
    const exemption = this.exemptions.find(e => e.id === id);
    if (!exemption) throw new Error(`no exemption ${id}`);
    exemption.status = 'approved';
    exemption.expiresAt = new Date(Date.now() + days * 86_400_000).toISOString();
  }

  grant(partial: Pick<Exemption, 'entityRef' | 'checkId'> & Partial<Exemption>) {
    const exemption: Exemption = {
      id: `ex-${++this.sequence}`,
      kind: 'exemption',
      justification: 'test',
      compensatingControl: 'test',
      requestedBy: 'user:default/someone',
      requestedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      status: 'approved',
      ...partial,
    };
    this.exemptions.push(exemption);
    return exemption;
  }
}

/** The catalog-info.yaml a blueprint renders for a compliant ML training project, to vary in tests. */
export function projectCatalogInfo(
  options: {
    name?: string;
    owner?: string;
    classification?: string;
    containsPii?: boolean;
    region?: string;
    dataSources?: string[];
    gpuQuota?: number;
    annotations?: Record<string, string | undefined>;
  } = {},
): string {
  const name = options.name ?? 'churn-model';
  const owner = options.owner ?? 'group:default/retention-analytics';
  const classification = options.classification ?? 'confidential';
  const pii = String(options.containsPii ?? false);
  const region = options.region ?? 'eu-west-1';
  const dataSources = options.dataSources ?? ['resource:default/policy-events-stream'];
  const annotations: Record<string, string | undefined> = {
    'backstage.io/techdocs-ref': 'dir:.',
    'backstage.io/source-location': `url:https://git.example/${name}`,
    'forge.io/blueprint': 'ml-training-pipeline@1.0.0',
    'forge.io/data-classification': classification,
    'forge.io/contains-pii': pii,
    'forge.io/region': region,
    'forge.io/cost-center': 'CC-4111',
    'forge.io/cost-tags': `forge-project=${name}`,
    'forge.io/cost-estimate': '420.00',
    'forge.io/gpu-profile': 'nvidia-t4',
    'forge.io/gpu-quota': String(options.gpuQuota ?? 1),
    'forge.io/model-card': 'docs/model-card.md',
    'forge.io/model-stage': 'None',
    'forge.io/environment-request': `url:https://git.example/gitops/tree/env/${name}`,
    'forge.io/monitoring': 'prometheus',
    ...options.annotations,
  };
  const component = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      description: 'Predicts which policyholders lapse at renewal, trained weekly.',
      annotations: Object.fromEntries(Object.entries(annotations).filter(([, v]) => v !== undefined)),
    },
    spec: {
      type: 'ml-pipeline',
      lifecycle: 'experimental',
      owner,
      system: 'system:default/customer-retention',
      dependsOn: [...dataSources, `resource:default/${name}-storage`],
    },
  };
  const storage = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: `${name}-storage`,
      description: `Object storage of ${name}: training data extracts, features and model artefacts.`,
      annotations: {
        'forge.io/data-classification': classification,
        'forge.io/contains-pii': pii,
        'forge.io/region': region,
        'forge.io/retention-days': '1825',
        'forge.io/endpoint': `s3://mm-forge-${name}-${region}/`,
        'forge.io/encryption': 'cmk',
      },
    },
    spec: { type: 'storage', owner, system: 'system:default/customer-retention' },
  };
  return [component, storage].map(d => stringifyYaml(d)).join('---\n');
}

/**
 * An action context like the scaffolder's: createMockActionContext plus what it leaves out (dry run, the
 * initiator's credentials) and checkpoints that persist across calls sharing `checkpoints`, as a retried task does.
 */
export function actionContext(options: {
  input: Record<string, unknown>;
  workspacePath?: string;
  isDryRun?: boolean;
  user?: { ref?: string };
  checkpoints?: Map<string, unknown>;
  templateInfo?: { entityRef: string; baseUrl?: string };
}) {
  const base = createMockActionContext({
    input: options.input as JsonObject,
    workspacePath: options.workspacePath,
    user: options.user ?? { ref: 'user:default/guest' },
    templateInfo: options.templateInfo as any,
  });
  const store = options.checkpoints ?? new Map<string, unknown>();
  return {
    ...base,
    isDryRun: options.isDryRun,
    getInitiatorCredentials: async () => mockCredentials.user('user:default/guest'),
    checkpoint: async ({ key, fn }: { key: string; fn: () => Promise<any> | any }) => {
      if (store.has(key)) return store.get(key);
      const value = await fn();
      store.set(key, value);
      return value;
    },
  } as ActionContext<any, any>;
}

/** The value an action gave one of its outputs. */
export function outputOf(ctx: { output: unknown }, name: string): any {
  return (ctx.output as jest.Mock).mock.calls.find(c => c[0] === name)?.[1];
}
