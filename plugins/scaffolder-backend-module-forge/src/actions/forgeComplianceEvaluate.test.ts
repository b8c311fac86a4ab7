import { APPROVAL_CHECK_IDS } from '@internal/plugin-compliance-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  actionContext,
  demoCatalog,
  InMemoryComplianceGateway,
  outputOf,
  projectCatalogInfo,
  RecordingAuditor,
  testSettings,
} from '../__testUtils__';
import { createForgeComplianceEvaluateAction } from './forgeComplianceEvaluate';
import { createForgeEnvironmentPlanAction } from './forgeEnvironmentPlan';

describe('forge:compliance:evaluate', () => {
  let workspace: string;
  let compliance: InMemoryComplianceGateway;
  let auditor: RecordingAuditor;
  const settings = testSettings();
  const catalog = demoCatalog();

  beforeEach(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-gate-'));
    compliance = new InMemoryComplianceGateway();
    auditor = new RecordingAuditor();
  });
  afterEach(() => fs.rmSync(workspace, { recursive: true, force: true }));

  const gate = () =>
    createForgeComplianceEvaluateAction({
      settings,
      catalog,
      compliance,
      auditor,
    });

  function context(
    input: Record<string, unknown>,
    extra: { isDryRun?: boolean; checkpoints?: Map<string, unknown> } = {},
  ) {
    return actionContext({ input, workspacePath: workspace, ...extra });
  }
  const output = outputOf;

  /** Renders the project the way a blueprint does: catalog-info.yaml and the real environment request. */
  async function render(
    options: Parameters<typeof projectCatalogInfo>[0] = {},
  ) {
    fs.writeFileSync(
      path.join(workspace, 'catalog-info.yaml'),
      projectCatalogInfo(options),
    );
    const plan = createForgeEnvironmentPlanAction({
      settings,
      catalog,
      auditor: new RecordingAuditor(),
    });
    await plan.handler(
      context({
        name: options.name ?? 'churn-model',
        owner: options.owner ?? 'group:default/retention-analytics',
        system: 'system:default/customer-retention',
        blueprint: 'ml-training-pipeline@1.0.0',
        region: options.region ?? 'eu-west-1',
        classification: options.classification ?? 'confidential',
        dataSources: options.dataSources ?? [
          'resource:default/policy-events-stream',
        ],
        profile: 'large',
        gpuType: 'nvidia-t4',
        gpuCount: options.gpuQuota ?? 1,
        workload: { kind: 'batch' },
      }),
    );
  }

  it('passes a compliant request, reports warnings and leaves one evidence record per entity', async () => {
    await render();
    const ctx = context({
      entityPath: 'catalog-info.yaml',
      environmentPath: 'environment',
    });
    await gate().handler(ctx);

    expect(output(ctx, 'decision')).toBe('passed');
    // No Template in this catalog carries the blueprint's version yet: a warning, not a block.
    expect(output(ctx, 'warnings')).toEqual([
      expect.objectContaining({
        checkId: 'provenance.blueprint-current',
        controls: ['CM-2', 'SI-2', 'CC8.1'],
      }),
    ]);
    expect(output(ctx, 'score')).toBeGreaterThan(90);
    expect(compliance.records.map(r => [r.entityRef, r.decision])).toEqual([
      ['component:default/churn-model', 'passed'],
      ['resource:default/churn-model-storage', 'passed'],
    ]);
    expect(output(ctx, 'evidenceIds')).toEqual(
      compliance.records.map(r => r.id),
    );
    // Checks that need a project to exist (scans, CI) are not part of the gate.
    const checked = compliance.records[0].evaluation.results.map(
      r => r.checkId,
    );
    expect(checked).not.toContain('security.dependency-scan-fresh');
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'blueprint-compliance-gate',
        outcome: 'success',
        resultMeta: expect.objectContaining({ decision: 'passed' }),
      }),
    ]);
  });

  it('blocks with the check, its controls and the fix, and records the evidence', async () => {
    await render({
      classification: 'restricted',
      containsPii: true,
      region: 'us-east-1',
      dataSources: ['resource:default/claims-warehouse'],
    });
    const ctx = context({
      entityPath: 'catalog-info.yaml',
      environmentPath: 'environment',
    });
    const error = await gate()
      .handler(ctx)
      .then(
        () => undefined,
        e => e,
      );
    expect(error?.name).toBe('NotAllowedError');
    expect(error.message).toContain('Blocked by the compliance gate');
    expect(error.message).toContain(
      '- data.restricted-in-approved-region "Restricted data only in approved regions" (baseline@1.0.0, critical; controls AC-4, CC6.7, C1.1) on component:default/churn-model and resource:default/churn-model-storage: Restricted data may only be stored and processed in eu-west-1 or eu-central-1',
    );
    // One rule failing on the project and its storage is one failed check.
    expect(error.message).toContain('1 check failed');
    expect(error.message).toContain('Nothing has been published.');
    expect(compliance.records[0]).toMatchObject({
      decision: 'blocked',
      entityRef: 'component:default/churn-model',
    });
    // A blocked request files no approval: there is something to fix first.
    expect(compliance.exemptions).toEqual([]);
    // The evaluation itself succeeded; its decision is what the audit trail records.
    expect(auditor.events[0]).toMatchObject({
      outcome: 'success',
      resultMeta: { decision: 'blocked' },
    });
  });

  it('asks for an approval for restricted data, once, and passes after Compliance approves', async () => {
    await render({
      classification: 'restricted',
      containsPii: true,
      dataSources: ['resource:default/claims-warehouse'],
    });
    const input = {
      entityPath: 'catalog-info.yaml',
      environmentPath: 'environment',
      justification: 'Claims fraud features for the renewal model',
    };
    const first = context(input);
    await expect(gate().handler(first)).rejects.toThrow(
      /Approval required before this project can be created:\n- approval\.restricted-data: the project reads restricted data \(resource:default\/claims-warehouse\)\. Approval request ex-1 is waiting/,
    );
    expect(compliance.exemptions).toEqual([
      expect.objectContaining({
        kind: 'approval',
        checkId: APPROVAL_CHECK_IDS.restrictedData,
        // For this project, not the whole team.
        entityRef: 'component:default/churn-model',
        status: 'pending',
        // Filed for whoever ran the blueprint, so they cannot approve it themselves.
        requestedBy: 'user:default/guest',
        justification: expect.stringContaining(
          'Purpose: Claims fraud features for the renewal model',
        ),
        compensatingControl: expect.stringContaining(
          'default-deny network policy',
        ),
      }),
    ]);
    expect(compliance.records[0].decision).toBe('approval-required');

    // Retried before the decision: still waiting, no second request.
    await expect(gate().handler(context(input))).rejects.toThrow(
      'Approval request ex-1 is waiting',
    );
    expect(compliance.exemptions).toHaveLength(1);

    compliance.approve('ex-1');
    const retry = context(input);
    await gate().handler(retry);
    expect(output(retry, 'decision')).toBe('passed');
    expect(output(retry, 'approvals')).toEqual([
      expect.objectContaining({
        checkId: 'approval.restricted-data',
        status: 'approved',
        exemptionId: 'ex-1',
      }),
    ]);
  });

  it('approves one project at a time: another project of the same team asks again', async () => {
    const restricted = {
      classification: 'restricted' as const,
      containsPii: true,
      dataSources: ['resource:default/claims-warehouse'],
    };
    const input = {
      entityPath: 'catalog-info.yaml',
      environmentPath: 'environment',
    };
    await render({ ...restricted, name: 'claims-lapse' });
    await expect(gate().handler(context(input))).rejects.toThrow(
      /Approval required/,
    );
    const mine = (name: string) =>
      compliance.exemptions.filter(
        e => e.entityRef === `component:default/${name}`,
      );
    expect(mine('claims-lapse')).toHaveLength(1);
    compliance.approve(mine('claims-lapse')[0].id);
    const approved = context(input);
    await gate().handler(approved);
    expect(output(approved, 'decision')).toBe('passed');

    // Same owner, same data, another project: the first approval does not cover it.
    await render({ ...restricted, name: 'claims-severity' });
    const refused = await gate()
      .handler(context(input))
      .then(
        () => undefined,
        (e: Error) => e.message,
      );
    expect(mine('claims-severity').map(e => e.status)).toEqual(['pending']);
    expect(refused).toContain(
      `Approval request ${mine('claims-severity')[0].id} is waiting`,
    );
    expect(mine('claims-lapse').map(e => e.status)).toEqual(['approved']);
    expect(mine('claims-severity').map(e => e.status)).toEqual(['pending']);
  });

  it('files an approval once per task even when a retry cannot see the pending request', async () => {
    await render({
      classification: 'restricted',
      containsPii: true,
      dataSources: ['resource:default/claims-warehouse'],
    });
    compliance.listExemptions = async () => [];
    const checkpoints = new Map<string, unknown>();
    const input = { entityPath: 'catalog-info.yaml' };
    await expect(
      gate().handler(context(input, { checkpoints })),
    ).rejects.toThrow('Approval request ex-1');
    await expect(
      gate().handler(context(input, { checkpoints })),
    ).rejects.toThrow('Approval request ex-1');
    expect(compliance.exemptions).toHaveLength(1);
  });

  it('asks for an approval when the estimate is above the group threshold', async () => {
    await render();
    const ctx = context({
      entityPath: 'catalog-info.yaml',
      cost: {
        approvalRequired: true,
        monthlyTotal: 1760,
        approvalThreshold: 1500,
        currency: 'EUR',
      },
    });
    await expect(gate().handler(ctx)).rejects.toThrow(
      "approval.cost-threshold: the estimated 1,760.00 EUR a month is above the group's approval threshold of 1,500.00 EUR",
    );
    expect(compliance.exemptions[0]).toMatchObject({
      checkId: 'approval.cost-threshold',
      status: 'pending',
    });
  });

  it('lets an approved exemption for the owning group pass a blocking check', async () => {
    await render({ annotations: { 'forge.io/contains-pii': undefined } });
    await expect(
      gate().handler(context({ entityPath: 'catalog-info.yaml' })),
    ).rejects.toThrow('data.pii-declared "Personal data declared"');
    compliance.grant({
      entityRef: 'group:default/retention-analytics',
      checkId: 'data.pii-declared',
    });
    const ctx = context({ entityPath: 'catalog-info.yaml' });
    await gate().handler(ctx);
    expect(output(ctx, 'decision')).toBe('passed');
  });

  it('blocks when the environment request and the entity disagree', async () => {
    await render({ gpuQuota: 2 });
    // Someone edits the entity after rendering: one GPU declared, two requested.
    fs.writeFileSync(
      path.join(workspace, 'catalog-info.yaml'),
      projectCatalogInfo({ gpuQuota: 1 }),
    );
    await expect(
      gate().handler(
        context({
          entityPath: 'catalog-info.yaml',
          environmentPath: 'environment',
        }),
      ),
    ).rejects.toThrow(
      /gate\.environment-matches-entity .*GPU quota 2 vs forge\.io\/gpu-quota 1/,
    );
  });

  it('evaluates without filing or recording anything in a dry run', async () => {
    await render({
      classification: 'restricted',
      containsPii: true,
      dataSources: ['resource:default/claims-warehouse'],
    });
    const ctx = context(
      { entityPath: 'catalog-info.yaml', environmentPath: 'environment' },
      { isDryRun: true },
    );
    await gate().handler(ctx);
    expect(output(ctx, 'decision')).toBe('approval-required');
    expect(compliance.exemptions).toEqual([]);
    expect(compliance.records).toEqual([]);
  });

  it('refuses an entity the catalog would refuse', async () => {
    fs.writeFileSync(
      path.join(workspace, 'catalog-info.yaml'),
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: "not a name!"\nspec:\n  type: service\n  owner: x\n  lifecycle: experimental\n',
    );
    await expect(gate().handler(context({}))).rejects.toThrow(
      /document 1 of catalog-info.yaml would be refused by the catalog: .*metadata\.name/,
    );
  });

  it('fails closed when the compliance backend cannot be reached', async () => {
    await render();
    compliance.listPolicyPacks = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:7007');
    };
    await expect(
      gate().handler(context({ entityPath: 'catalog-info.yaml' })),
    ).rejects.toThrow('ECONNREFUSED');
  });
});
