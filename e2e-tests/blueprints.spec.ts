// Blueprint journeys on the embedded default: a guest creates an ML training project from the Create page and finds
// it in the catalog with its scorecard and cost estimate; a request for restricted data in a region the policy does
// not allow is stopped by the compliance gate before it is submitted, which says why, and nothing is published.
import { expect, Page, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { signInAsGuest } from './fixtures';

const dataDir = process.env.FORGE_E2E_DATA_DIR!;

test.use({ actionTimeout: 30_000 });

/** Picks an option of an autocomplete field (OwnerPicker, EntityPicker, MultiEntityPicker) by typing part of it. */
async function pick(
  page: Page,
  label: string | RegExp,
  typed: string,
  option: RegExp,
) {
  const field = page.getByRole('textbox', { name: label }).first();
  await field.click();
  await field.fill(typed);
  await page.getByRole('option', { name: option }).first().click();
}

async function openBlueprint(page: Page, title: string) {
  await page.goto('/create');
  // The blueprints are filtered by category (analytics, ml), then found by name.
  await page
    .getByText('Categories', { exact: true })
    .locator('..')
    .getByRole('button')
    .first()
    .click();
  await page.getByRole('option', { name: 'Ml', exact: true }).click();
  await page.keyboard.press('Escape');
  await expect(
    page.getByText('Data science workspace', { exact: true }),
  ).toBeHidden();
  await page.getByPlaceholder('Search').fill(title);
  await expect(page.getByTestId('template-card-actions--create')).toHaveCount(
    1,
  );
  await page.getByTestId('template-card-actions--create').click();
  await expect(page.getByRole('textbox', { name: /^Name/ })).toBeVisible();
}

async function fillProject(page: Page, name: string) {
  await page.getByRole('textbox', { name: /^Name/ }).fill(name);
  await page
    .getByRole('textbox', { name: /^Description/ })
    .fill(
      'Predicts which motor policies lapse at renewal so retention can call them first.',
    );
  await pick(
    page,
    /^Owner/,
    'retention',
    /Retention Analytics|retention-analytics/,
  );
  await pick(
    page,
    /^System/,
    'customer',
    /Customer Retention|customer-retention/,
  );
  await page.getByRole('button', { name: 'Next' }).click();
}

test('a guest creates an ML training project and finds it in the catalog with its scorecard and cost estimate', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await signInAsGuest(page);
  await openBlueprint(page, 'ML training pipeline');
  await fillProject(page, 'lapse-predictor');

  // Data: sources from the catalog; the classification follows them.
  await pick(
    page,
    /^Data sources/,
    'Policy Events',
    /Policy Events Stream|policy-events-stream/,
  );
  await pick(
    page,
    /^Data sources/,
    'Telematics',
    /Telematics Trips|telematics-trips/,
  );
  await expect(
    page.getByText('At least confidential', { exact: false }),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  // Compute and the optional advanced page keep their defaults.
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Next' }).click();

  // Before anything is created: the estimate line by line and the compliance result.
  await expect(page.getByText('Estimated monthly cost:')).toBeVisible({
    timeout: 60_000,
  });
  await expect(
    page.getByRole('table', { name: 'Monthly cost estimate' }),
  ).toContainText('NVIDIA T4');
  await expect(page.getByText('Passes the compliance gate')).toBeVisible();
  await page.getByRole('button', { name: 'Review' }).click();

  // The review lists the answers, then the task runs.
  await expect(page.getByText('lapse-predictor').first()).toBeVisible();
  await page.getByRole('button', { name: 'Create' }).click();
  const openInCatalog = page.getByRole('link', { name: 'Open in catalog' });
  await expect(openInCatalog).toBeVisible({ timeout: 120_000 });
  await expect(
    page.getByRole('link', { name: 'Environment request' }),
  ).toBeVisible();

  // Real git: the project and its environment request were published under the data folder.
  expect(
    fs.existsSync(
      path.join(dataDir, 'git/retention-analytics/lapse-predictor.git/HEAD'),
    ),
  ).toBe(true);
  expect(
    fs.existsSync(
      path.join(
        dataDir,
        'git/platform/gitops.git/refs/heads/environment-request/lapse-predictor',
      ),
    ),
  ).toBe(true);

  await openInCatalog.click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/lapse-predictor/,
  );
  await expect(
    page.getByText('Predicts which motor policies lapse at renewal').first(),
  ).toBeVisible();
  const governance = page
    .locator('article, .MuiCard-root')
    .filter({ hasText: 'Data governance' });
  await expect(governance.getByText('Estimated cost')).toBeVisible();
  await expect(governance.getByText(/\d+\.\d\d USD a month/)).toBeVisible();
  await expect(
    governance.getByText('ml-training-pipeline@1.0.0'),
  ).toBeVisible();
  const scorecard = page
    .locator('article, .MuiCard-root')
    .filter({ hasText: /Compliance/ })
    .first();
  await expect(scorecard).toBeVisible();
  await expect(
    scorecard.getByText(/\b(gold|silver|bronze)\b/i).first(),
  ).toBeVisible({ timeout: 60_000 });
});

test('a request for restricted data outside the approved regions is stopped by the gate before submit, which says why', async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  await signInAsGuest(page);
  await openBlueprint(page, 'ML training pipeline');
  await fillProject(page, 'claims-lapse-us');

  await pick(
    page,
    /^Data sources/,
    'Claims',
    /Claims Warehouse|claims-warehouse/,
  );
  await expect(
    page.getByText('At least restricted', { exact: false }),
  ).toBeVisible();
  await page.getByRole('button', { name: /^Region/ }).click();
  await page.getByRole('option', { name: 'us-east-1' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Next' }).click();

  // The review page already says it will not pass, and why.
  await expect(
    page.getByText('Blocked by the compliance gate', { exact: true }),
  ).toBeVisible({ timeout: 60_000 });
  await expect(
    page.getByText(/data\.restricted-in-approved-region/).first(),
  ).toBeVisible();
  // The form, the review and the gate tell one story: personal data ticked from the source, one rule broken (on the
  // project and its storage) counted once, with its controls and the fix.
  await expect(
    page.getByText(/Blocked by the compliance gate: 1 check failed/).first(),
  ).toBeVisible();
  await expect(
    page.getByText(/Restricted data only in approved regions/).first(),
  ).toBeVisible();
  await expect(
    page.getByText(/controls AC-4, CC6\.7, C1\.1/).first(),
  ).toBeVisible();
  await expect(
    page
      .getByText(
        /may only be stored and processed in eu-west-1 or eu-central-1/,
      )
      .first(),
  ).toBeVisible();
  await expect(page.getByText(/restricted, personal data/)).toBeVisible();

  // A blocked request is not sent off to fail as a task: Review stays on the page and says why.
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(
    page
      .getByText(
        'the compliance gate blocks this request; change the answers as the failed checks say.',
      )
      .first(),
  ).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create' })).toHaveCount(0);

  // The personal-data box says what the gate says.
  await page.getByRole('button', { name: 'Back' }).click();
  await page.getByRole('button', { name: 'Back' }).click();
  await page.getByRole('button', { name: 'Back' }).click();
  await expect(
    page.getByRole('checkbox', { name: 'Processes personal data' }),
  ).toBeChecked();
  await expect(
    page.getByText(/Set by Forge: Claims Warehouse holds personal data/),
  ).toBeVisible();

  // And indeed nothing was: no repository, no catalog entity.
  expect(
    fs.existsSync(
      path.join(dataDir, 'git/retention-analytics/claims-lapse-us.git'),
    ),
  ).toBe(false);
  const token = await page.evaluate(async () => {
    const res = await fetch('/api/auth/guest/refresh', {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    return (await res.json()).backstageIdentity.token as string;
  });
  const entity = await request.get(
    '/api/catalog/entities/by-name/component/default/claims-lapse-us',
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  expect(entity.status()).toBe(404);
});
