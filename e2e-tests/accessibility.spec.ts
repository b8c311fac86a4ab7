// Every main page of the portal, checked with axe for serious and critical WCAG 2.1 A/AA violations (fixtures.ts).
import { expect, test } from '@playwright/test';
import { expectAccessible, signInAsGuest } from './fixtures';

test('the main pages have no serious or critical accessibility violations', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await signInAsGuest(page);
  await expectAccessible(page, 'the home page');

  await page.goto('/create');
  await expect(
    page.getByTestId('template-card-actions--create').first(),
  ).toBeVisible();
  await expectAccessible(page, 'the Create page');
  // Each template's link to its catalog page is named after the template (Backstage's card has an unnamed icon link).
  await expect(
    page.getByRole('link', {
      name: 'dbt analytics project: Show template entity details',
    }),
  ).toHaveAttribute('href', '/catalog/default/template/dbt-analytics');
  // The page's content is the panel its selected header tab controls.
  const selectedTab = page.getByRole('tab', { name: 'Templates' });
  await expect(selectedTab).toHaveAttribute('aria-selected', 'true');
  const panel = page.getByRole('tabpanel', { name: 'Templates' });
  await expect(panel).toHaveAttribute(
    'id',
    (await selectedTab.getAttribute('aria-controls'))!,
  );
  await expect(panel.getByRole('heading', { name: 'Templates' })).toBeVisible();

  await page.goto('/create/templates/default/dbt-analytics');
  await expect(page.getByRole('textbox', { name: /^Name/ })).toBeVisible();
  await expect(page.getByRole('textbox', { name: /^Owner/ })).toHaveValue(
    /Retention Analytics/,
  );
  await expectAccessible(page, 'a blueprint form');

  await page.goto('/catalog/default/component/churn-model');
  await expect(page.getByText('Data governance').first()).toBeVisible();
  // Its cards are checked with their content, not while they load (a score, or the offer to evaluate it when the
  // first scheduled evaluation has not reached it yet).
  await expect(
    page
      .getByRole('img', { name: /^compliance score \d+ of 100$/ })
      .or(page.getByText('This entity has not been evaluated yet'))
      .first(),
  ).toBeVisible();
  await expect(
    page.getByRole('progressbar', { name: /^budget used/ }),
  ).toBeVisible();
  await page.waitForLoadState('networkidle');
  await expectAccessible(page, 'an entity page');

  await page.goto('/compliance');
  await expect(
    page.getByRole('heading', { name: /Compliance/ }).first(),
  ).toBeVisible();
  await expect(page.getByText('Teams against control families')).toBeVisible();
  await page.waitForLoadState('networkidle');
  await expectAccessible(page, 'the compliance dashboard');

  await page.goto('/cost');
  await expect(
    page.getByRole('heading', { name: /Cost/ }).first(),
  ).toBeVisible();
  // Checked once its figures are shown, not while it loads: the range switch is part of what is checked.
  await expect(
    page.getByRole('button', { name: 'Last 30 days' }),
  ).toHaveAttribute('aria-pressed', 'true');
  await page.waitForLoadState('networkidle');
  await expectAccessible(page, 'the cost page');

  await page.goto('/outcomes');
  await expect(
    page.getByRole('heading', {
      name: 'Platform outcomes: Retention Analytics',
    }),
  ).toBeVisible({ timeout: 60_000 });
  await page.waitForLoadState('networkidle');
  await expectAccessible(page, 'the outcomes page');

  // The search index is built a little after start: ask again until it answers.
  await page.goto('/search?query=fraud');
  await expect(async () => {
    await page.reload();
    await expect(page.locator('mark').first()).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 120_000 });
  await expectAccessible(page, 'search');
});
