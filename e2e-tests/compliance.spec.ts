import { parse as parseCsv } from 'csv-parse/sync';
import { expect, Page, test } from '@playwright/test';
import fs from 'node:fs';
import { signInAsGuest, signInAsPersona } from './fixtures';

// The journey of issue 3: an entity with a failing check, an exemption requested by its owner, approved by a
// compliance user, the score updating. The guest is a member of Retention Analytics, which owns churn-model;
// Daniel Moreau (GRC Office) holds the compliance role.

const ENTITY = 'component:default/churn-model';
const TAB = '/catalog/default/component/churn-model/compliance';
const CHECK_TITLE = 'CI tests pass on the default branch';
/** The static token CI uses on the embedded default (backend.auth.externalAccess in app-config.yaml). */
const CI_TOKEN = 'forge-demo-ci-token-change-me';

async function scoreOnTab(page: Page): Promise<number> {
  const gauge = page.getByRole('img', {
    name: /^compliance score \d+ of 100$/,
  });
  await expect(gauge).toBeVisible();
  const label = await gauge.getAttribute('aria-label');
  return Number(label!.match(/(\d+) of 100/)![1]);
}

/** The row of the CI check in the Change management (SOC 2 CC8) family. */
function ciCheckRow(page: Page) {
  return page
    .getByRole('table', { name: 'SOC 2 CC8 checks' })
    .getByRole('row')
    .filter({ hasText: CHECK_TITLE });
}

/** The replay's weeks before today (DemoHistory's `weeks` in compliance-backend plugin.ts; code, not config). */
const DEMO_WEEKS = 11;

test('a fresh portal shows a compliance trend of weekly points replayed from the demo history', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await signInAsPersona(page, 'Daniel Moreau');
  const trend = page.getByRole('img', {
    name: 'average score and failing checks per week',
  });
  // One dot per point of each line, as the chart draws them (Recharts draws a line's dots in a layer of their own);
  // the replay runs at the first scheduled evaluation, so a page opened before it ends is opened again.
  const lines = trend.locator('.recharts-line-dots');
  const points = () =>
    lines.evaluateAll(els =>
      els.map(line =>
        [...line.querySelectorAll('.recharts-line-dot')].map(dot => ({
          x: Number(dot.getAttribute('cx')),
          y: Number(dot.getAttribute('cy')),
        })),
      ),
    );
  await expect
    .poll(
      async () => {
        await page.goto('/compliance/dashboard');
        // Before the first evaluation the card says "No history yet": open the page again (an assertion here would
        // end the poll at once instead of retrying).
        const shown = await trend
          .waitFor({ state: 'visible', timeout: 15_000 })
          .then(() => true)
          .catch(() => false);
        if (!shown) return [];
        await page.waitForTimeout(2_000); // the lines' animation, after which the dots are drawn
        return (await points()).map(line => line.length);
      },
      { timeout: 180_000, intervals: [2_000] },
    )
    .toEqual([DEMO_WEEKS + 1, DEMO_WEEKS + 1]);

  const [score, failing] = await points();
  // One point a week, left to right: no week twice.
  const xs = score.map(p => p.x);
  expect(xs).toEqual([...xs].sort((a, b) => a - b));
  expect(new Set(xs).size).toBe(xs.length);
  // A real history, not the same value repeated: the demo teams fixed failing checks over the weeks.
  expect(new Set(failing.map(p => p.y)).size).toBeGreaterThan(2);
});

test('an owner asks for an exemption, compliance approves it, and the score goes up', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(240_000);

  // CI reports failing tests on churn-model, through the same API a pipeline uses. The entity may still be on
  // its way into the catalog, so keep posting until the backend knows it.
  const pushFailingCi = async () => {
    try {
      const res = await request.post(
        '/api/compliance/facts/component/default/churn-model',
        {
          headers: { authorization: `Bearer ${CI_TOKEN}` },
          data: {
            name: 'ci',
            collectedAt: new Date().toISOString(),
            source: 'e2e/github-actions',
            data: { status: 'failing', tests: 212, failed: 3 },
          },
        },
      );
      return res.status();
    } catch (error) {
      return String(error); // not listening yet
    }
  };
  await expect
    .poll(pushFailingCi, { timeout: 180_000, intervals: [2_000] })
    .toBe(201);

  // The owner sees the failing check on the entity's Compliance tab.
  await signInAsGuest(page);
  await page.goto(TAB);
  const scoreBefore = await scoreOnTab(page);
  await expect(ciCheckRow(page)).toContainText('fail');
  await expect(ciCheckRow(page)).toContainText(
    'Fix the failing tests on the default branch',
  );

  // ... and asks for an exemption for it.
  await ciCheckRow(page)
    .getByRole('button', { name: 'Request exemption' })
    .click();
  const dialog = page.getByRole('dialog', { name: 'Request an exemption' });
  await expect(
    dialog.getByRole('button', { name: /Failing check/ }),
  ).toContainText(CHECK_TITLE);
  await dialog
    .getByRole('textbox', { name: /^Justification/ })
    .fill(
      'Three flaky integration tests against the retired policy API; the replacement lands next sprint.',
    );
  await dialog
    .getByRole('textbox', { name: /^Compensating control/ })
    .fill(
      'Releases are gated on a manual smoke test signed off by the team lead.',
    );
  await dialog.getByRole('button', { name: 'Request exemption' }).click();
  await expect(
    page.getByText(`Exemption requested for ${CHECK_TITLE}`),
  ).toBeVisible();
  const ownExemptions = page.getByRole('table', {
    name: 'exemptions of this entity',
  });
  await expect(
    ownExemptions.getByRole('row').filter({ hasText: CHECK_TITLE }),
  ).toContainText('pending');

  // The owner cannot decide it: the queue shows it without decision buttons.
  await page.goto('/compliance/exemptions');
  const ownQueueRow = page
    .getByRole('table', { name: 'pending exemptions' })
    .getByRole('row')
    .filter({ hasText: CHECK_TITLE });
  await expect(ownQueueRow).toContainText('user:default/guest');
  await expect(
    ownQueueRow.getByRole('button', { name: 'Approve' }),
  ).toHaveCount(0);

  // A compliance manager approves it from the queue, seeing who asked and why.
  const complianceContext = await browser.newContext();
  try {
    const compliancePage = await complianceContext.newPage();
    await signInAsPersona(compliancePage, 'Daniel Moreau');
    await compliancePage.goto('/compliance/exemptions');
    const row = compliancePage
      .getByRole('table', { name: 'pending exemptions' })
      .getByRole('row')
      .filter({ hasText: CHECK_TITLE })
      .filter({ hasText: 'churn-model' });
    await expect(row).toContainText('user:default/guest');
    await expect(row).toContainText('Three flaky integration tests');
    await expect(row).toContainText('manual smoke test');
    await row.getByRole('button', { name: 'Approve' }).click();
    const decision = compliancePage.getByRole('dialog');
    await decision
      .getByRole('textbox', { name: /Note/ })
      .fill('Accepted until the new policy API is live.');
    await decision.getByRole('button', { name: 'Approve' }).click();
    await expect(
      compliancePage.getByText(`${CHECK_TITLE} on ${ENTITY}: approved.`),
    ).toBeVisible();
    await expect(
      compliancePage
        .getByRole('table', { name: 'decided exemptions' })
        .getByRole('row')
        .filter({ hasText: CHECK_TITLE }),
    ).toContainText('approved');

    // ... and hands an auditor the evidence of the entity, which records the decision.
    await compliancePage.goto('/compliance/evidence');
    await compliancePage.getByRole('button', { name: /^Scope/ }).click();
    await compliancePage.getByRole('option', { name: 'One entity' }).click();
    await compliancePage.getByRole('button', { name: /^Entity/ }).click();
    await compliancePage
      .getByRole('option', { name: new RegExp(`\\(${ENTITY}\\)`) })
      .click();
    await compliancePage.getByRole('radio', { name: 'CSV' }).check();
    const [download] = await Promise.all([
      compliancePage.waitForEvent('download'),
      compliancePage.getByRole('button', { name: 'Download evidence' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^forge-evidence-.*\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    // The last line is the export's signature, which has columns of its own.
    const rows: Record<string, string>[] = parseCsv(csv, {
      columns: true,
      relax_column_count: true,
    });
    expect(
      rows
        .filter(
          r => r.check_id === 'ci.tests-passing' && r.entity_ref === ENTITY,
        )
        .map(r => r.exemption_decided_by),
    ).toContain('user:default/daniel.moreau');
  } finally {
    await complianceContext.close();
  }

  // Back on the entity, the check counts as exempt and the score has gone up. Nothing fails in the family any
  // more, so it starts closed.
  await page.goto(TAB);
  await page
    .getByRole('button', { name: /^SOC 2 CC8 · Change management/ })
    .click();
  await expect(ciCheckRow(page)).toContainText('exempt');
  await expect(ciCheckRow(page)).toContainText(
    'approved by user:default/daniel.moreau',
  );
  const scoreAfter = await scoreOnTab(page);
  expect(scoreAfter).toBeGreaterThan(scoreBefore);
  await expect(
    page
      .getByRole('table', { name: 'exemptions of this entity' })
      .getByRole('row')
      .filter({ hasText: CHECK_TITLE }),
  ).toContainText('approved');

  // The card on the overview agrees.
  await page.goto('/catalog/default/component/churn-model');
  await expect(
    page.getByRole('img', { name: `compliance score ${scoreAfter} of 100` }),
  ).toBeVisible();
});
