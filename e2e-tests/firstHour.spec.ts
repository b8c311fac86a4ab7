// The first hour of a project, for each of the five blueprints: a member (the guest, in Retention Analytics) creates a
// project from the Create page and finds what the blueprints promise - an owner that is one of their own teams,
// every decidable compliance check passing with the rest pending (waiting for the first CI run), a repository link
// that opens, and TechDocs that render.
import { expect, Page, test } from '@playwright/test';
import { signInAsGuest } from './fixtures';

test.use({ actionTimeout: 30_000 });

/** Each blueprint, with a project name and what its own pages need beyond their defaults. */
const BLUEPRINTS = [
  { title: 'ML training pipeline', name: 'lapse-trainer' },
  {
    title: 'ML model serving',
    name: 'lapse-scorer',
    modelName: 'lapse-trainer',
  },
  { title: 'Spark batch pipeline', name: 'trip-features' },
  { title: 'dbt analytics project', name: 'trip-marts' },
  { title: 'Data science workspace', name: 'trip-notebooks' },
];

async function pick(page: Page, label: RegExp, typed: string, option: RegExp) {
  const field = page.getByRole('textbox', { name: label }).first();
  await field.click();
  await field.fill(typed);
  await page.getByRole('option', { name: option }).first().click();
}

/** The guest's token, for reading what the portal stored. */
async function guestToken(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const res = await fetch('/api/auth/guest/refresh', {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    return (await res.json()).backstageIdentity.token as string;
  });
}

for (const blueprint of BLUEPRINTS) {
  test(`a member creates a project from the ${blueprint.title} blueprint that is compliant at birth, with docs and a repository`, async ({
    page,
    request,
  }) => {
    test.setTimeout(300_000);
    await signInAsGuest(page);
    await page.goto('/create');
    await page.getByPlaceholder('Search').fill(blueprint.title);
    await expect(page.getByTestId('template-card-actions--create')).toHaveCount(
      1,
    );
    await page.getByTestId('template-card-actions--create').click();

    // Project: the owner picker offers only the guest's own team, and chooses it.
    await page.getByRole('textbox', { name: /^Name/ }).fill(blueprint.name);
    await page
      .getByRole('textbox', { name: /^Description/ })
      .fill(
        'Features and models from telematics trips for the retention campaigns.',
      );
    const owner = page.getByRole('textbox', { name: /^Owner/ });
    await expect(owner).toHaveValue(
      'Retention Analytics (retention-analytics)',
    );
    await expect(
      page.getByText("Billed to Retention Analytics's cost center CC-4111."),
    ).toBeVisible();
    await owner.click();
    await expect(page.getByRole('option')).toHaveCount(1);
    await page.keyboard.press('Escape');
    await pick(
      page,
      /^System/,
      'customer',
      /Customer Retention|customer-retention/,
    );
    await page.getByRole('button', { name: 'Next' }).click();

    // Data: a confidential source without personal data.
    await pick(
      page,
      /^Data sources/,
      'Telematics',
      /Telematics Trips|telematics-trips/,
    );
    await expect(
      page.getByText('At least confidential', { exact: false }),
    ).toBeVisible();
    await expect(
      page.getByRole('checkbox', { name: 'Processes personal data' }),
    ).not.toBeChecked();
    await page.getByRole('button', { name: 'Next' }).click();

    // The blueprint's own pages and Advanced keep their defaults, up to the cost and compliance review.
    const lastPage = page.getByRole('button', { name: 'Review' });
    for (let i = 0; i < 4 && !(await lastPage.isVisible()); i++) {
      const model = page.getByRole('textbox', { name: /^Registered model/ });
      if (blueprint.modelName && (await model.isVisible()))
        await model.fill(blueprint.modelName);
      await page.getByRole('button', { name: 'Next' }).click();
      await page.waitForTimeout(500);
    }
    await expect(page.getByText('Estimated monthly cost:')).toBeVisible({
      timeout: 90_000,
    });
    await expect(page.getByText('Passes the compliance gate')).toBeVisible();
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();

    const openInCatalog = page.getByRole('link', { name: 'Open in catalog' });
    await expect(openInCatalog).toBeVisible({ timeout: 150_000 });

    // The repository link opens the repository in the portal.
    const repository = page.getByRole('link', { name: 'Repository' });
    const repositoryUrl = await repository.getAttribute('href');
    expect(repositoryUrl).toMatch(
      new RegExp(`/repositories/retention-analytics/${blueprint.name}$`),
    );
    await page.goto(repositoryUrl!);
    await expect(
      page.getByRole('heading', {
        name: `retention-analytics/${blueprint.name}`,
      }),
    ).toBeVisible();
    await expect(
      page.getByRole('link', { name: 'catalog-info.yaml' }),
    ).toBeVisible();
    await page.getByRole('link', { name: 'catalog-info.yaml' }).click();
    await expect(
      page.getByLabel('Contents of catalog-info.yaml'),
    ).toContainText(`name: ${blueprint.name}`);

    // The entity: owned by the guest's team, every decided check passing, the rest waiting for the first CI run.
    await page.goto(`/catalog/default/component/${blueprint.name}`);
    await expect(
      page
        .getByRole('link', {
          name: /^(Retention Analytics|retention-analytics)$/,
        })
        .first(),
    ).toBeVisible();
    await expect(
      page.getByText(
        /^Every decided check passes, so the level is gold, provisionally\./,
      ),
    ).toBeVisible({ timeout: 60_000 });
    // Born at the top level, provisionally: not bronze.
    await expect(page.getByLabel('level gold, provisional')).toBeVisible();
    const token = await guestToken(page);
    const headers = { authorization: `Bearer ${token}` };
    const entity = await (
      await request.get(
        `/api/catalog/entities/by-name/component/default/${blueprint.name}`,
        { headers },
      )
    ).json();
    expect(entity.spec.owner).toBe('group:default/retention-analytics');
    const scorecard = await (
      await request.get(
        `/api/compliance/scorecards/component/default/${blueprint.name}`,
        { headers },
      )
    ).json();
    const statuses = new Set<string>(
      scorecard.results.map((r: { status: string }) => r.status),
    );
    expect(scorecard.score).toBe(100);
    expect(
      [...statuses].filter(
        s => !['pass', 'exempt', 'not_applicable', 'pending'].includes(s),
      ),
    ).toEqual([]);
    expect(statuses.has('pending')).toBe(true);
    // Born at the top level, provisionally on the evidence its first CI run will bring: not bronze.
    expect([scorecard.level, scorecard.levelProvisional]).toEqual([
      'gold',
      true,
    ]);

    // TechDocs are built from the repository and render in the portal.
    await page.goto(`/docs/default/component/${blueprint.name}`);
    const docs = page.locator('[data-testid="techdocs-native-shadowroot"]');
    await expect(docs.getByRole('heading').first()).toBeVisible({
      timeout: 120_000,
    });
    await expect(docs).toContainText(blueprint.name);
  });
}
