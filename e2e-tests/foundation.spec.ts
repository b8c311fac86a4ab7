import { expect, test } from '@playwright/test';
import { signInAsGuest } from './fixtures';

test('a guest finds the Forge system, a data resource and the platform docs', async ({
  page,
}) => {
  await signInAsGuest(page);

  // The catalog lists the Forge system.
  await page.getByRole('link', { name: 'Catalog' }).first().click();
  await page.getByLabel('Kind', { exact: true }).getByRole('button').click();
  await page.getByRole('option', { name: 'System' }).click();
  await page.getByRole('menuitem', { name: /^All/ }).click();
  await expect(
    page.getByRole('link', { name: 'Forge', exact: true }),
  ).toBeVisible();
  await page.getByRole('link', { name: 'Forge', exact: true }).click();
  await expect(
    page
      .getByText('The internal developer platform for data and ML teams')
      .first(),
  ).toBeVisible();

  // A data resource carries its classification.
  await page.goto('/catalog/default/resource/claims-warehouse');
  await expect(page.getByText('Claims Warehouse').first()).toBeVisible();
  const governance = page
    .locator('article, .MuiCard-root')
    .filter({ hasText: 'Data governance' });
  await expect(governance.getByText('restricted')).toBeVisible();
  await expect(governance.getByText('eu-west-1')).toBeVisible();

  // The platform documentation renders inside the portal.
  await page.goto('/docs/default/system/forge');
  const docs = page.locator('[data-testid="techdocs-native-shadowroot"]');
  await expect(
    docs.getByRole('heading', { name: 'Where things are in the portal' }),
  ).toBeVisible({
    timeout: 90_000,
  });
});
