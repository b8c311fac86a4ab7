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

  it("refuses a project named like an entity the catalog already holds, before evaluating or recording anything", async () => {
    // ml-platform's feature-store-service exists; a retention-analytics member runs a blueprint under its name
    // (issue 10: the passed gate record and the run's clean evidence would otherwise land on ml-platform's project).
    const existing = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'feature-store-service',
        namespace: 'default',
        annotations: { 'backstage.io/managed-by-location': 'file:catalog/demo/projects.yaml' },
      },
      spec: { type: 'service', owner: 'group:default/ml-platform', lifecycle: 'production' },
    };
    const withExisting = createForgeComplianceEvaluateAction({
      settings,
      catalog: demoCatalog([existing]),
      compliance,
      auditor,
    });
    await render({ name: 'feature-store-service' });
    const input = { entityPath: 'catalog-info.yaml', environmentPath: 'environment' };

    // The review page's dry run still shows the gate's decision on the answers.
    const dry = context(input, { isDryRun: true });
    await withExisting.handler(dry);
    expect(output(dry, 'decision')).toBe('passed');

    await expect(withExisting.handler(context(input))).rejects.toThrow(
      'forge:compliance:evaluate: an entity named feature-store-service already exists in the catalog (component:default/feature-store-service); choose another name.',
    );
    expect(compliance.records).toEqual([]);
    expect(auditor.events).toEqual([
      expect.objectContaining({ eventId: 'blueprint-compliance-gate', outcome: 'success' }),
      expect.objectContaining({ eventId: 'blueprint-compliance-gate', outcome: 'fail' }),
    ]);

    // A task retried after it registered its own project is not refused by it.
    const checkpoints = new Map<string, unknown>();
    await render({ name: 'fresh-model' });
    await gate().handler(context(input, { checkpoints }));
    const retried = createForgeComplianceEvaluateAction({
      settings,
      catalog: demoCatalog([
        { ...existing, metadata: { ...existing.metadata, name: 'fresh-model' } },
      ]),
      compliance,
      auditor,
    });
    const ctx = context(input, { checkpoints });
    await retried.handler(ctx);
    expect(output(ctx, 'decision')).toBe('passed');
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

  describe('an approval covers the request it was filed for, and only that', () => {
    const TEMPLATE = 'template:default/ml-training-pipeline';
    const run = (
      input: Record<string, unknown>,
      who = 'user:default/liam.chen',
      templateRef = TEMPLATE,
    ) =>
      actionContext({
        input: { entityPath: 'catalog-info.yaml', environmentPath: 'environment', ...input },
        workspacePath: workspace,
        user: { ref: who },
        templateInfo: { entityRef: templateRef },
      });
    const costed = (monthlyTotal: number) => ({
      cost: { approvalRequired: true, monthlyTotal, approvalThreshold: 1500, currency: 'EUR' },
    });
    const failure = (ctx: ReturnType<typeof run>) =>
      gate()
        .handler(ctx)
        .then(
          () => undefined,
          (e: Error) => e.message,
        );

    it('files what is approved with the request', async () => {
      await render();
      await failure(run(costed(1760)));
      expect(compliance.exemptions[0].subject).toEqual({
        templateRef: TEMPLATE,
        ownerRef: 'group:default/retention-analytics',
        classification: 'confidential',
        restrictedSources: [],
        cost: { monthlyTotal: 1760, approvalThreshold: 1500, currency: 'EUR' },
      });
    });

    it('does not let an approval at one cost pass a dearer request of the same project', async () => {
      await render();
      await failure(run(costed(1760)));
      compliance.approve('ex-1');
      const cheap = run(costed(1760));
      await gate().handler(cheap);
      expect(output(cheap, 'decision')).toBe('passed');
      // Cheaper than approved is covered too.
      await gate().handler(run(costed(1600)));

      // Re-run with the same name at 4,900 EUR (under the 5,000 EUR hard limit): the old approval does not apply.
      const dearer = run(costed(4900));
      const message = await failure(dearer);
      expect(message).toContain(
        'Approval ex-1 was approved for 1,760.00 EUR a month; this request estimates 4,900.00 EUR a month: request approval again.',
      );
      const filed = compliance.exemptions.filter(e => e.status === 'pending');
      expect(filed).toEqual([
        expect.objectContaining({
          checkId: 'approval.cost-threshold',
          subject: expect.objectContaining({
            cost: { monthlyTotal: 4900, approvalThreshold: 1500, currency: 'EUR' },
          }),
        }),
      ]);
      expect(message).toContain(`Approval request ${filed[0].id} is waiting`);
    });

    it("does not let another person ride someone's approval by creating the same name", async () => {
      await render();
      await failure(run(costed(1760)));
      compliance.approve('ex-1');
      const message = await failure(run(costed(1760), 'user:default/mallory'));
      expect(message).toContain(
        'Approval ex-1 was requested by user:default/liam.chen, not by user:default/mallory: request approval again.',
      );
      expect(compliance.exemptions.at(-1)).toMatchObject({
        status: 'pending',
        requestedBy: 'user:default/mallory',
      });
      // The requester spelled differently is the same person.
      await gate().handler(run(costed(1760), 'user:default/Liam.Chen'));
    });

    it('asks again when the data, its classification or the template changes', async () => {
      const restricted = {
        classification: 'restricted' as const,
        containsPii: true,
        dataSources: ['resource:default/claims-warehouse'],
      };
      await render(restricted);
      await failure(run({}));
      compliance.approve('ex-1');
      await gate().handler(run({}));

      await render({
        ...restricted,
        dataSources: ['resource:default/claims-warehouse', 'resource:default/policyholder-dataset'],
      });
      expect(await failure(run({}))).toContain(
        'Approval ex-1 was approved for the restricted sources resource:default/claims-warehouse; this request reads resource:default/claims-warehouse, resource:default/policyholder-dataset: request approval again.',
      );

      await render(restricted);
      expect(await failure(run({}, undefined, 'template:default/anything-goes'))).toContain(
        'Approval ex-1 was approved for the template template:default/ml-training-pipeline; this request comes from template:default/anything-goes',
      );
    });

    it("shows the review page's preview what the real run will decide, though its dry run cannot tell who asks", async () => {
      await render();
      await failure(run(costed(1760)));
      compliance.approve('ex-1');
      // The preview: a dry run started by the scaffolder itself, under the dry-run API's own template ref.
      const preview = (monthlyTotal: number) =>
        actionContext({
          input: { entityPath: 'catalog-info.yaml', environmentPath: 'environment', ...costed(monthlyTotal) },
          workspacePath: workspace,
          user: {},
          templateInfo: { entityRef: 'template:default/dry-run' },
          isDryRun: true,
        });
      const same = preview(1760);
      await gate().handler(same);
      expect(output(same, 'decision')).toBe('passed');
      const dearer = preview(4900);
      await gate().handler(dearer);
      expect(output(dearer, 'decision')).toBe('approval-required');
      expect(output(dearer, 'summary')).toContain(
        'Approval ex-1 was approved for 1,760.00 EUR a month; this request estimates 4,900.00 EUR a month',
      );
      expect(compliance.exemptions).toHaveLength(1);
    });

    it('does not accept an approval filed before approvals recorded what they approve', async () => {
      await render();
      compliance.grant({
        kind: 'approval',
        entityRef: 'component:default/churn-model',
        checkId: 'approval.cost-threshold',
        requestedBy: 'user:default/liam.chen',
      });
      expect(await failure(run(costed(1760)))).toContain(
        'was filed before approvals recorded what they approve, so it cannot be matched with this request: request approval again.',
      );
    });

    it("decides whether a cost needs approval from the group's policy, not from the template", async () => {
      await render();
      // A template that says no approval is needed, with a threshold of its own.
      const forged = run({
        cost: { approvalRequired: false, monthlyTotal: 1760, approvalThreshold: 1_000_000, currency: 'EUR' },
      });
      expect(await failure(forged)).toContain(
        "approval.cost-threshold: the estimated 1,760.00 EUR a month is above the group's approval threshold of 1,500.00 EUR",
      );
      expect([...new Set(compliance.records.map(r => r.decision))]).toEqual(['approval-required']);

      // A template that leaves the cost out, or says 0, while the entity it registers declares its estimate.
      await render({ annotations: { 'forge.io/cost-estimate': '1760.00' } });
      expect(await failure(run({ cost: { monthlyTotal: 0, currency: 'EUR' } }))).toContain(
        'approval.cost-threshold: the estimated 1,760.00 EUR a month',
      );

      // Above the group's hard limit (5,000 EUR) the gate blocks, whatever the template says.
      await render();
      expect(await failure(run(costed(6000)))).toContain(
        'gate.cost-hard-limit "Estimated cost within the group\'s hard limit"',
      );
    });
  });
});
