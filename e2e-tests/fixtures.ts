import { expect, Page } from '@playwright/test';

/** Signs in through the sign-in page as the guest of the embedded default. */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    page.getByRole('heading', { name: 'Forge', exact: true }),
  ).toBeVisible();
}
