// Search results as a reader sees them: highlighted terms keep the blanks between them, whatever the engine, and
// the results are a list.
import { expect, test } from '@playwright/test';
import { signInAsGuest } from './fixtures';

test('highlighted search terms keep their blanks, and results are a list', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await signInAsGuest(page);
  // The search index is built a little after start: ask again until it answers.
  await page.goto('/search?query=fraud%20scores&types%5B0%5D=software-catalog');
  const result = page.getByRole('listitem').filter({
    has: page.getByRole('link', { name: 'Fraud Scoring Service', exact: true }),
  });
  await expect(async () => {
    await page.reload();
    await expect(result.locator('mark').first()).toBeVisible({
      timeout: 5_000,
    });
  }).toPass({ timeout: 120_000 });

  // "fraud" and "scores" are two highlights with a blank between them. innerText is what is laid out on screen:
  // the result list item's clamped text box dropped that blank ("fraudscores").
  await expect(
    result.locator('mark').filter({ hasText: /^fraud$/ }),
  ).toHaveCount(1);
  await expect(result).toContainText('Real-time claim fraud scores served', {
    useInnerText: true,
  });
  await expect(result.getByRole('link')).toHaveText('Fraud Scoring Service', {
    useInnerText: true,
  });

  // Every result item is in the one list of results.
  const list = page.getByRole('list').filter({ has: result });
  await expect(list).toHaveCount(1);
  expect(await list.getByRole('listitem').count()).toBeGreaterThan(1);
});
