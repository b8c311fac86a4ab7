// Tables and charts as they are laid out in the browser: no word of a table cell split across two lines, no chart
// legend over an axis, at the journeys' width and at a narrow laptop's. Screenshots of each page are kept with the
// run's artifacts (.cache/e2e-artifacts/<port>/layout) for a reviewer's eye.
import { expect, Page, test } from '@playwright/test';
import path from 'node:path';
import {
  expectLegendsClearOfAxes,
  expectTableWordsWhole,
  signInAsPersona,
} from './fixtures';

/** Checks the page's tables at the journeys' width and at 1024 px, with a screenshot of each. */
async function checkTables(page: Page, where: string, name: string) {
  for (const width of [1400, 1024]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);
    await page.screenshot({
      path: path.join(test.info().outputDir, `${name}-${width}.png`),
      fullPage: true,
    });
    await expectTableWordsWhole(page, `${where} at ${width} px`);
  }
  await page.setViewportSize({ width: 1400, height: 900 });
}

test('cost tables keep their words whole and chart legends stay clear of the axes', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await signInAsPersona(page, 'Noah Kim');

  await page.goto('/cost');
  await expect(page.locator('table').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  await checkTables(page, 'the cost page', 'cost');
  // The daily cost and the two breakdowns.
  await expectLegendsClearOfAxes(page, 'the cost page', { charts: 3 });

  await page.goto('/catalog/default/group/pricing-science/cost');
  await expect(page.locator('table').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  await checkTables(page, "a team's cost", 'group-cost');
  await expectLegendsClearOfAxes(page, "a team's cost", { charts: 2 });

  await page.goto('/catalog/default/component/churn-model/cost');
  await expect(page.locator('.recharts-surface').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  await checkTables(page, "a project's cost", 'entity-cost');
  // The daily cost by service and the forecast.
  await expectLegendsClearOfAxes(page, "a project's cost", { charts: 2 });
});

test('compliance tables keep their words whole and chart legends stay clear of the axes', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await signInAsPersona(page, 'Daniel Moreau');

  await page.goto('/compliance/dashboard');
  await expect(page.locator('table').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  await checkTables(page, 'the compliance dashboard', 'compliance-dashboard');
  // The compliance trend.
  await expectLegendsClearOfAxes(page, 'the compliance dashboard');

  await page.goto('/compliance/exemptions');
  await expect(
    page.getByRole('tab', { name: 'Exemptions', selected: true }),
  ).toBeVisible();
  await page.waitForLoadState('networkidle');
  await checkTables(page, 'the exemption queue', 'exemptions');

  await page.goto('/catalog/default/group/retention-analytics');
  await page.waitForLoadState('networkidle');
  await checkTables(page, "a team's page", 'group');
});
