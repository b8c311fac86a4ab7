import yaml from 'yaml';
import { CatalogGroupBudgets } from '../cost/GroupBudgets';
import { actionContext, demoCatalog, RecordingAuditor, testSettings } from '../__testUtils__';
import { createForgeCostEstimateAction } from './forgeCostEstimate';
import { examples } from './forgeCostEstimate.examples';

describe('forge:cost:estimate examples', () => {
  const action = createForgeCostEstimateAction({
    settings: testSettings(),
    budgets: new CatalogGroupBudgets(demoCatalog()),
    auditor: new RecordingAuditor(),
  });

  it.each(examples)('runs: $description', async example => {
    const input = yaml.parse(example.example).steps[0].input;
    const ctx = actionContext({ input });
    await action.handler(ctx);
    const total = (ctx.output as jest.Mock).mock.calls.find(c => c[0] === 'monthlyTotal')[1];
    expect(total).toBeGreaterThan(0);
  });
});
