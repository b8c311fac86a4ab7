import { parse as parseCsv } from 'csv-parse/sync';
import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { signInAsGuest, signInAsPersona } from './fixtures';

// The journey of issue 4: the demo billing data loads on first start; the entity page's cost card shows the
// figures the cost API returns; the Cost tab breaks them down and exports them; the team and organisation views
// agree with the API; only an admin may change a budget.

/** Money as the cost views write it (plugins/cost-insights/src/components/shared/format.ts). */
function money(amount: number): string {
  const digits = Math.abs(amount) >= 1000 ? 0 : 2;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount);
}

async function guestToken(request: APIRequestContext): Promise<string> {
  const res = await request.get('/api/auth/guest/refresh', {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  expect(res.status()).toBe(200);
  return (await res.json()).backstageIdentity.token;
}

async function api<T>(
  request: APIRequestContext,
  token: string,
  path: string,
): Promise<T> {
  const res = await request.get(`/api/cost-insights${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return res.json();
}

type Summary = {
  lastCompleteBillingDate: string;
  monthToDate: number;
  last30DaysTotal: number;
  forecast: { monthEnd: { amount: number; lower: number; upper: number } };
  budget?: { monthlyAmount: number; usedRatio: number; forecastRatio: number };
};

/** Waits until the demo billing data has been ingested and attributed (it loads in the background). */
async function demoSummary(
  request: APIRequestContext,
  token: string,
): Promise<Summary> {
  let summary: Summary | undefined;
  await expect
    .poll(
      async () => {
        try {
          summary = await api<Summary>(
            request,
            token,
            '/entities/component%3Adefault%2Fchurn-model/summary',
          );
          return summary.monthToDate;
        } catch {
          return 0; // the catalog or the demo data is still on its way
        }
      },
      { timeout: 150_000, intervals: [2_000] },
    )
    .toBeGreaterThan(0);
  return summary!;
}

const costCard = (page: Page) =>
  page.locator('.MuiCard-root').filter({ hasText: 'Billing data to' });

test("the entity page's cost card shows the figures the cost API returns, down to the team and the organisation", async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  const token = await guestToken(request);
  const summary = await demoSummary(request, token);
  const today = new Date().toISOString().slice(0, 10);
  expect(summary.lastCompleteBillingDate).toBe(today);

  await signInAsGuest(page);
  await page.goto('/catalog/default/component/churn-model');
  const card = costCard(page);
  await expect(card.getByRole('figure', { name: 'Month to date' })).toHaveText(
    money(summary.monthToDate),
  );
  await expect(
    card.getByRole('figure', { name: 'Forecast month end' }),
  ).toHaveText(money(summary.forecast.monthEnd.amount));
  await expect(card.getByRole('figure', { name: 'Last 30 days' })).toHaveText(
    money(summary.last30DaysTotal),
  );
  await expect(
    card.getByText(
      `80% between ${money(summary.forecast.monthEnd.lower)} and ${money(
        summary.forecast.monthEnd.upper,
      )}`,
    ),
  ).toBeVisible();
  expect(summary.budget).toBeDefined();
  await expect(
    card.getByText(
      `${Math.round(summary.budget!.usedRatio * 100)}% of ${money(
        summary.budget!.monthlyAmount,
      )} used`,
    ),
  ).toBeVisible();
  await expect(
    card.getByText(
      `forecast ${Math.round(summary.budget!.forecastRatio * 100)}%`,
    ),
  ).toBeVisible();
  // The card sits beside the compliance scorecard.
  await expect(
    page
      .locator('.MuiCard-root')
      .filter({ hasText: 'SOC 2 and NIST 800-53 checks' }),
  ).toBeVisible();

  // The Cost tab: the breakdown adds up to the 30-day total, and its CSV export holds the daily lines.
  await card.getByText('Cost details').click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/churn-model\/cost$/,
  );
  await expect(page.getByRole('figure', { name: 'Last 30 days' })).toHaveText(
    money(summary.last30DaysTotal),
  );
  const table = page
    .locator('.MuiPaper-root')
    .filter({ hasText: 'Breakdown, last 30 days' });
  await expect(
    table.getByRole('row').filter({ hasText: 'Amazon SageMaker' }),
  ).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const csv = await (await download.createReadStream()).toArray();
  const [header, ...rows] = parseCsv(Buffer.concat(csv).toString('utf8'));
  expect(header.slice(0, 5)).toEqual([
    'day',
    'entityRef',
    'provider',
    'serviceCategory',
    'serviceName',
  ]);
  const effective = header.indexOf('effectiveCost'); // the metric the views show
  const exported = rows.reduce((s, cells) => s + Number(cells[effective]), 0);
  expect(exported).toBeCloseTo(summary.last30DaysTotal, 2);

  // The team view agrees with the API, and the organisation overview too.
  const team = await api<{
    monthToDate: number;
    forecast: { monthEnd: { amount: number } };
  }>(
    request,
    token,
    '/groups/group%3Adefault%2Fpricing-science/summary?days=90',
  );
  expect(team.monthToDate).toBeGreaterThan(0);
  await page.goto('/catalog/default/group/pricing-science/cost');
  await expect(page.getByRole('figure', { name: 'Month to date' })).toHaveText(
    money(team.monthToDate),
  );
  await expect(
    page.getByRole('figure', { name: 'Forecast month end' }),
  ).toHaveText(money(team.forecast.monthEnd.amount));
  await expect(page.getByRole('table', { name: 'top movers' })).toContainText(
    'Motor Pricing GLM Training',
  );
  await expect(
    page.getByText(
      /Stop Pricing Data Science Workspace's GPUs outside working days/,
    ),
  ).toBeVisible();

  const overview = await api<{ total: number; unattributed: number }>(
    request,
    token,
    '/overview?days=30',
  );
  await page.getByRole('link', { name: 'Cost', exact: true }).first().click();
  await expect(page).toHaveURL(/\/cost$/);
  await expect(page.getByRole('figure', { name: 'Last 30 days' })).toHaveText(
    money(overview.total),
  );
  await expect(page.getByRole('figure', { name: 'Unattributed' })).toHaveText(
    money(overview.unattributed),
  );
  await expect(page.getByRole('table', { name: 'anomalies' })).toContainText(
    'AWS Data Transfer',
  );
});

test('only an admin may change a budget', async ({ browser, request }) => {
  test.setTimeout(240_000);
  const token = await guestToken(request);
  await demoSummary(request, token);

  // The real Forge policy behind the API: a member reads cost, but neither sets budgets nor uploads billing data.
  const asGuest = { authorization: `Bearer ${token}` };
  const put = await request.put(
    '/api/cost-insights/budgets/group%3Adefault%2Ffraud-science',
    {
      headers: asGuest,
      data: { monthlyAmount: 1 },
    },
  );
  expect(put.status()).toBe(403);
  expect(await put.text()).toContain('forge.cost.budget.manage');
  const upload = await request.post(
    '/api/cost-insights/ingestions?name=x.csv',
    {
      headers: { ...asGuest, 'content-type': 'text/csv' },
      data: 'BilledCost\n1\n',
    },
  );
  expect(upload.status()).toBe(403);
  expect(await upload.text()).toContain('forge.cost.upload');
  const unauthenticated = await request.get('/api/cost-insights/overview');
  expect(unauthenticated.status()).toBe(401);

  const member = await browser.newPage();
  await signInAsPersona(member, 'Mateo Garcia');
  await member.goto('/catalog/default/group/fraud-science/cost');
  await expect(
    member.getByRole('figure', { name: 'Month to date' }),
  ).toBeVisible();
  await expect(member.getByRole('button', { name: /budget/i })).toHaveCount(0);
  await member.close();

  const admin = await browser.newPage();
  await signInAsPersona(admin, 'Noah Kim');
  await admin.goto('/catalog/default/group/fraud-science/cost');
  await admin.getByRole('button', { name: 'Change budget' }).click();
  const dialog = admin.getByRole('dialog');
  await dialog.getByLabel(/Monthly budget/).fill('17500');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(admin.getByText(/of \$17,500 used/)).toBeVisible();
  await expect(
    admin.getByText(/Budget set in Forge by user:default\/noah.kim/),
  ).toBeVisible();
  // Back to the budget kept as code.
  await admin.getByRole('button', { name: 'Change budget' }).click();
  await admin
    .getByRole('dialog')
    .getByRole('button', { name: 'Remove Forge budget' })
    .click();
  await expect(admin.getByText(/of \$16,000 used/)).toBeVisible();
  await admin.close();
});
