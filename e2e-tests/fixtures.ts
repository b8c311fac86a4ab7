import { expect, Page } from '@playwright/test';

/** Signs in through the sign-in page as the guest of the embedded default. */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    page.getByRole('heading', { name: 'Forge', exact: true }),
  ).toBeVisible();
}

/** Signs in as one of the demo personas of the embedded default, e.g. 'Daniel Moreau' (compliance). */
export async function signInAsPersona(page: Page, title: string) {
  await page.goto('/');
  await page.getByRole('button', { name: `Sign in as ${title}` }).click();
  await expect(
    page.getByRole('heading', { name: 'Forge', exact: true }),
  ).toBeVisible();
}
