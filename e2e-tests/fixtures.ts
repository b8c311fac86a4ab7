import { expect, Page } from '@playwright/test';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const requireFromHere = createRequire(import.meta.url);
let axeScript: string | undefined;
const axeSource = () =>
  (axeScript ??= fs.readFileSync(
    requireFromHere.resolve('axe-core/axe.min.js'),
    'utf8',
  ));

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

/**
 * Violations axe reports in parts of the portal Forge does not render itself (Backstage packages), matched by rule and
 * element, each until its upstream fix lands; anything else serious or critical fails the journey.
 */
const KNOWN_UPSTREAM = [
  // @backstage/ui page tabs: aria-controls names a tab panel that is not rendered.
  { rule: 'aria-valid-attr-value', target: /-tab-/ },
  // @backstage/plugin-scaffolder-react TemplateDetailButton: an IconButton wrapping an icon-only Link.
  { rule: 'link-name', target: /viewDetail-template/ },
  { rule: 'nested-interactive', target: /viewDetail-template/ },
  // @backstage/plugin-search SearchResult list items rendered without their list.
  { rule: 'listitem', target: /MuiListItem/ },
  // Backstage's light theme: secondary text (#717171) on the page background (#f5f5f5) is 4.47:1, just under 4.5.
  { rule: 'color-contrast', target: /./, summary: /#717171/ },
];

/** Runs axe (WCAG 2.1 A and AA) on the page as it stands; fails on serious or critical violations not listed above. */
export async function expectAccessible(page: Page, where: string) {
  // axe-core comes with the lint toolchain (eslint-plugin-jsx-a11y); evaluated in the page (the portal's CSP forbids
  // inline script tags, as it should), the way @axe-core/playwright does.
  if (!(await page.evaluate(() => Boolean((window as any).axe)))) {
    await page.evaluate(axeSource());
  }
  const violations = await page.evaluate(async () => {
    const axe = (window as any).axe;
    const result = await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'],
      },
    });
    return result.violations.map((v: any) => ({
      rule: v.id as string,
      impact: v.impact as string,
      nodes: v.nodes.map((n: any) => ({
        target: String(n.target.join(' ')),
        summary: String(n.failureSummary),
      })),
    }));
  });
  const serious = violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .flatMap(v =>
      v.nodes
        .filter(
          n =>
            !KNOWN_UPSTREAM.some(
              k =>
                k.rule === v.rule &&
                k.target.test(n.target) &&
                (!k.summary || k.summary.test(n.summary)),
            ),
        )
        .map(
          n =>
            `${v.rule} (${v.impact}) at ${n.target}: ${n.summary
              .split('\n')
              .slice(1)
              .join(' ')}`,
        ),
    );
  expect(serious, `accessibility of ${where}`).toEqual([]);
}
