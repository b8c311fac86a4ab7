// The platform's outcomes, seen by a member of a team: the guest (Retention Analytics) opens the Outcomes page, creates
// a dbt project from the Create page, answers the one satisfaction question on the new project's page, and finds the
// figures of their team changed: one more project this month, its time from submit to ready project and requested
// environment, and the satisfaction score. Every figure says what it is and where it comes from.
import { expect, Page, test } from '@playwright/test';
import { signInAsGuest } from './fixtures';

test.use({ actionTimeout: 30_000 });

/** The figure's card on the Outcomes page, by its title. */
const figure = (page: Page, title: string) =>
  page.getByRole('region', { name: title, exact: true });

async function openOutcomes(page: Page) {
  await page.goto('/outcomes');
  await expect(
    page.getByRole('heading', {
      name: 'Platform outcomes: Retention Analytics',
    }),
  ).toBeVisible({ timeout: 60_000 });
}

async function pick(page: Page, label: RegExp, typed: string, option: RegExp) {
  const field = page.getByRole('textbox', { name: label }).first();
  await field.click();
  await field.fill(typed);
  await page.getByRole('option', { name: option }).first().click();
}

test('a member creates a project, rates it, and sees their team’s outcomes change', async ({
  page,
}) => {
  test.setTimeout(420_000);
  await signInAsGuest(page);

  // Before: the team's figures, each with its definition and source; the organisation is not theirs to see.
  await openOutcomes(page);
  const created = figure(page, 'Projects created this month');
  await expect(created).toContainText(
    /Definition\. Projects created with a blueprint/,
  );
  await expect(created).toContainText(/Source\. Scaffolder/);
  const before = Number(
    /(\d+) this month/.exec((await created.textContent()) ?? '')![1],
  );
  await expect(figure(page, 'Would recommend Forge (NPS)')).toContainText(
    'No answers in the last 90 days',
  );
  for (const title of [
    'Time to a ready project',
    'Time to a requested environment',
    'Projects created without waiting for a person',
    'Teams using Forge',
    'Violations in platform-managed projects',
    'Open exemptions',
    'Time to produce audit evidence',
    'Controls covered by automated checks',
    'Spend against budget this month',
    'Forecast accuracy last month',
  ]) {
    await expect(figure(page, title)).toContainText('Definition.');
  }
  await expect(page.getByRole('button', { name: 'Scope' })).toBeHidden();

  // A project from the dbt blueprint, the way every project starts.
  await page.goto('/create');
  await page.getByPlaceholder('Search').fill('dbt analytics project');
  await expect(page.getByTestId('template-card-actions--create')).toHaveCount(
    1,
  );
  await page.getByTestId('template-card-actions--create').click();
  await page.getByRole('textbox', { name: /^Name/ }).fill('renewal-marts');
  await page
    .getByRole('textbox', { name: /^Description/ })
    .fill('Renewal cohorts and campaign uplift marts for the retention team.');
  await pick(
    page,
    /^System/,
    'customer',
    /Customer Retention|customer-retention/,
  );
  await page.getByRole('button', { name: 'Next' }).click();
  await pick(
    page,
    /^Data sources/,
    'Telematics',
    /Telematics Trips|telematics-trips/,
  );
  await page.getByRole('button', { name: 'Next' }).click();
  const review = page.getByRole('button', { name: 'Review' });
  for (let i = 0; i < 4 && !(await review.isVisible()); i++) {
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForTimeout(500);
  }
  await expect(page.getByText('Passes the compliance gate')).toBeVisible({
    timeout: 90_000,
  });
  await review.click();
  await page.getByRole('button', { name: 'Create' }).click();
  const openInCatalog = page.getByRole('link', { name: 'Open in catalog' });
  await expect(openInCatalog).toBeVisible({ timeout: 150_000 });
  await openInCatalog.click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/renewal-marts/);

  // The one question, on the new project's page, for its creator (once the outcomes collector has seen the run).
  const question = page.getByText(
    'How likely are you to recommend Forge to a colleague?',
  );
  await expect(async () => {
    await page.reload();
    await expect(question).toBeVisible({ timeout: 10_000 });
  }).toPass({ timeout: 120_000 });
  await page.getByRole('button', { name: '9 out of 10' }).click();
  await page
    .getByLabel('What made it so? (optional)')
    .fill('Repository, docs and environment request in minutes.');
  await page.getByRole('button', { name: 'Send answer' }).click();
  await expect(page.getByText(/Thank you/)).toBeVisible();
  await page.reload();
  await expect(page.getByText(/Send answer/)).toBeHidden();

  // After: the team's figures moved.
  await openOutcomes(page);
  await expect(figure(page, 'Projects created this month')).toContainText(
    `${before + 1} this month`,
  );
  await expect(figure(page, 'Time to a ready project')).toContainText(
    /median, .* p90 \(\d+ projects?\)/,
  );
  await expect(figure(page, 'Time to a requested environment')).toContainText(
    /median/,
  );
  await expect(figure(page, 'Would recommend Forge (NPS)')).toContainText(
    '+100 from 1 answer (1 promoter, 0 detractors)',
  );
  await expect(figure(page, 'Would recommend Forge (NPS)')).toContainText(
    'Repository, docs and environment request in minutes.',
  );
  await expect(
    figure(page, 'Projects created without waiting for a person'),
  ).toContainText(/100% self-service/);
});
