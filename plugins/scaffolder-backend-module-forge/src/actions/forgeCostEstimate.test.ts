import { CatalogGroupBudgets, GroupBudgets } from '../cost/GroupBudgets';
import { actionContext, demoCatalog, RecordingAuditor, testSettings } from '../__testUtils__';
import { createForgeCostEstimateAction } from './forgeCostEstimate';

function setup(budgets?: GroupBudgets) {
  const auditor = new RecordingAuditor();
  const action = createForgeCostEstimateAction({
    settings: testSettings(),
    budgets: budgets ?? new CatalogGroupBudgets(demoCatalog()),
    auditor,
  });
  return { action, auditor };
}

function context(input: Record<string, unknown>) {
  return actionContext({ input });
}

describe('forge:cost:estimate', () => {
  it('prices every line from the catalog and totals them', async () => {
    const { action, auditor } = setup();
    const ctx = context({
      owner: 'group:default/retention-analytics',
      compute: [
        { name: 'training', profile: 'large', hoursPerMonth: 100, gpuType: 'nvidia-t4', gpuCount: 2 },
      ],
      storage: [{ class: 'object', sizeGi: 500 }],
      services: ['mlflow-tracking'],
    });
    await action.handler(ctx);

    // 100 h x 0.40 = 40; 2 GPUs x 100 h x 0.50 = 100; 500 GiB x 0.02 = 10; MLflow 150.
    expect(ctx.output).toHaveBeenCalledWith('monthlyTotal', 300);
    expect(ctx.output).toHaveBeenCalledWith('annotation', '300.00');
    expect(ctx.output).toHaveBeenCalledWith('currency', 'EUR');
    expect(ctx.output).toHaveBeenCalledWith('suggestedMonthlyBudget', 360);
    const lines = (ctx.output as jest.Mock).mock.calls.find(c => c[0] === 'lines')[1];
    expect(lines.map((l: any) => [l.category, l.monthly])).toEqual([
      ['compute', 40],
      ['gpu', 100],
      ['storage', 10],
      ['service', 150],
    ]);
    expect(ctx.output).toHaveBeenCalledWith('approvalRequired', false);
    expect(auditor.events).toEqual([
      expect.objectContaining({
        eventId: 'blueprint-cost-estimate',
        outcome: 'success',
        resultMeta: expect.objectContaining({ monthlyTotal: 300 }),
      }),
    ]);
  });

  it('compares the estimate with the group budget from the catalog, month to date unknown', async () => {
    const { action } = setup();
    const ctx = context({
      owner: 'retention-analytics',
      compute: [{ name: 'serving', profile: 'medium', replicas: 2 }],
    });
    await action.handler(ctx);
    // 2 x 730 h x 0.20 = 292; retention-analytics has forge.io/monthly-budget 9000.
    expect(ctx.output).toHaveBeenCalledWith('monthlyTotal', 292);
    expect(ctx.output).toHaveBeenCalledWith('budget', {
      monthlyBudget: 9000,
      monthToDate: null,
      remainingAfterEstimate: null,
      source: 'catalog',
    });
  });

  it('uses month-to-date spend when the budget source knows it, and flags going over budget', async () => {
    const { action } = setup({
      getBudget: async groupRef => ({
        groupRef,
        monthlyBudget: 1000,
        monthToDate: 900,
        costCenter: 'CC-4121',
        source: 'cost-insights',
      }),
    });
    const ctx = context({
      owner: 'group:default/fraud-science',
      compute: [{ name: 'serving', profile: 'small', replicas: 3 }],
    });
    await action.handler(ctx);
    // 3 x 730 x 0.10 = 219; 1000 - 900 - 219 = -119.
    expect(ctx.output).toHaveBeenCalledWith(
      'budget',
      expect.objectContaining({ remainingAfterEstimate: -119 }),
    );
    expect(ctx.output).toHaveBeenCalledWith('overBudget', true);
    expect(ctx.output).toHaveBeenCalledWith(
      'summary',
      expect.stringContaining('119.00 EUR over its budget'),
    );
  });

  it('asks for approval above the group threshold (group override)', async () => {
    const { action } = setup();
    const ctx = context({
      owner: 'group:default/retention-analytics',
      compute: [{ name: 'training', profile: 'large', hoursPerMonth: 400, gpuType: 'nvidia-a100', gpuCount: 1 }],
    });
    await action.handler(ctx);
    // 400 x 0.40 + 400 x 4 = 1760 > 1500 (retention-analytics threshold), < 2000 (default).
    expect(ctx.output).toHaveBeenCalledWith('monthlyTotal', 1760);
    expect(ctx.output).toHaveBeenCalledWith('approvalRequired', true);
  });

  it('stops above the hard limit and says how to get under it', async () => {
    const { action, auditor } = setup();
    const ctx = context({
      owner: 'group:default/retention-analytics',
      compute: [{ name: 'training', profile: 'large', replicas: 2, gpuType: 'nvidia-a100', gpuCount: 4 }],
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      /above the hard limit of 5,000.00 EUR for group:default\/retention-analytics\. Choose a smaller profile/,
    );
    expect(ctx.output).not.toHaveBeenCalled();
    expect(auditor.events[0]).toMatchObject({ outcome: 'fail' });
  });

  it('names the known entries when a profile is not in the price catalog', async () => {
    const { action } = setup();
    await expect(
      action.handler(context({ owner: 'group:default/data-science', compute: [{ name: 'x', profile: 'huge' }] })),
    ).rejects.toThrow("unknown compute profile 'huge'; the price catalog has small, medium, large");
  });

  it("charges the group's cost center unless one is given, and needs one", async () => {
    const { action } = setup();
    const ctx = context({ owner: 'group:default/retention-analytics' });
    await action.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('costCenter', 'CC-4111');

    const ctx2 = context({ owner: 'group:default/retention-analytics', costCenter: 'CC-9999' });
    await action.handler(ctx2);
    expect(ctx2.output).toHaveBeenCalledWith('costCenter', 'CC-9999');

    // grc-office has no forge.io/cost-center.
    await expect(action.handler(context({ owner: 'group:default/grc-office' }))).rejects.toThrow(
      'group:default/grc-office has no cost center to charge (the forge.io/cost-center annotation of the group in the ' +
        'catalog). Enter the cost center for this project under Advanced (Cost center, CC-nnnn), or ask a platform ' +
        "admin to add the team's cost center to the group.",
    );
  });

  it('refuses to estimate without a price catalog', async () => {
    const action = createForgeCostEstimateAction({
      settings: testSettings({ pricing: undefined }),
      budgets: new CatalogGroupBudgets(demoCatalog()),
      auditor: new RecordingAuditor(),
    });
    await expect(
      action.handler(context({ owner: 'group:default/data-science' })),
    ).rejects.toThrow('no price catalog is configured; add forge.blueprints.pricing');
  });
});
