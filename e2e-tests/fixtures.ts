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
 * Runs axe (WCAG 2.1 A and AA) on the page as it stands; fails on any serious or critical violation. There is no
 * allow-list: Backstage's own faults are fixed in Forge (packages/app, docs/frontend-patches.md).
 */
export async function expectAccessible(page: Page, where: string) {
  // axe-core comes with the lint toolchain (eslint-plugin-jsx-a11y); evaluated in the page (the portal's CSP forbids
  // inline script tags, as it should), the way @axe-core/playwright does.
  if (!(await page.evaluate(() => Boolean((window as any).axe)))) {
    await page.evaluate(axeSource());
  }
  const violations: string[] = await page.evaluate(async () => {
    const axe = (window as any).axe;
    const result = await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'],
      },
    });
    return result.violations
      .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v: any) =>
        v.nodes.map(
          (n: any) =>
            `${v.id} (${v.impact}) at ${n.target.join(' ')}: ${String(
              n.failureSummary,
            )
              .split('\n')
              .slice(1)
              .join(' ')}`,
        ),
      );
  });
  expect(violations, `accessibility of ${where}`).toEqual([]);
}

/**
 * Fails when a word in a table cell is split across two lines ("Sin / ce", "$467.6 / 2"). A line may break at
 * blanks and after a hyphen, slash or dash, as text does; anywhere else inside a word is a column too narrow for
 * its content. Long identifiers are expected to be shortened with an ellipsis or to scroll, not to wrap.
 */
export async function expectTableWordsWhole(page: Page, where: string) {
  const broken: string[] = await page.evaluate(() => {
    const found: string[] = [];
    const lineOf = (node: Text, from: number, to: number) => {
      const range = document.createRange();
      range.setStart(node, from);
      range.setEnd(node, to);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      return rects.length ? Math.round(rects[0].top) : undefined;
    };
    for (const cell of document.querySelectorAll('td, th')) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node as Text;
        for (const match of text.data.matchAll(/\S+/g)) {
          const start = match.index!;
          const word = match[0];
          let line = lineOf(text, start, start + 1);
          for (let i = 1; i < word.length; i++) {
            const next = lineOf(text, start + i, start + i + 1);
            if (
              next !== undefined &&
              line !== undefined &&
              next !== line &&
              !/[-/\u2010-\u2014]/.test(word[i - 1])
            ) {
              found.push(`"${word}" (${cell.textContent?.slice(0, 60)})`);
              break;
            }
            line = next ?? line;
          }
        }
      }
    }
    return found;
  });
  expect(broken, `words split inside table cells of ${where}`).toEqual([]);
}

/** The widths the chart checks resize through: a laptop, a small laptop, a tablet, a phone. */
export const CHART_WIDTHS = [1280, 1024, 768, 400];

/**
 * Fails when a chart legend covers axis tick labels, at each of `widths` once laid out and at any moment while the
 * window is resized to it (charts re-measure on every resize; a legend measured late overlaps the x axis for a
 * while): every animation frame is checked, from the first resize to the last. Legends are Recharts' own or HTML
 * ones marked `data-chart-legend`. Fails as well when the page shows fewer than `charts` charts with tick labels,
 * so that a check of nothing cannot pass.
 */
export async function expectLegendsClearOfAxes(
  page: Page,
  where: string,
  options: { charts?: number; widths?: number[] } = {},
) {
  const viewport = page.viewportSize()!;
  const shown = page.locator('.recharts-wrapper', {
    has: page.locator('.recharts-cartesian-axis-tick-value'),
  });
  await expect
    .poll(() => shown.count(), { message: `charts with axes on ${where}` })
    .toBeGreaterThanOrEqual(options.charts ?? 1);
  await page.evaluate(() => {
    const w = window as any;
    const overlaps = new Set<string>();
    w.__forgeLegendOverlaps = overlaps;
    w.__forgeLegendWidth = window.innerWidth;
    w.__forgeLegendWatching = true;
    const check = () => {
      // What shows of a label: its box cut by every ancestor that clips (a chart drawn at its old width for a
      // frame while the window is resized is clipped by its own box, and shows nothing over its neighbour).
      const visible = (el: Element) => {
        const r = el.getBoundingClientRect();
        let [left, top, right, bottom] = [r.left, r.top, r.right, r.bottom];
        for (let a = el.parentElement; a; a = a.parentElement) {
          if (getComputedStyle(a).overflow === 'visible') continue;
          const c = a.getBoundingClientRect();
          left = Math.max(left, c.left);
          top = Math.max(top, c.top);
          right = Math.min(right, c.right);
          bottom = Math.min(bottom, c.bottom);
        }
        return {
          left,
          top,
          right,
          bottom,
          width: Math.max(0, right - left),
          height: Math.max(0, bottom - top),
        };
      };
      const labels = [
        ...document.querySelectorAll('.recharts-cartesian-axis-tick-value'),
      ].map(l => [l.textContent, visible(l)] as const);
      for (const legend of document.querySelectorAll(
        '.recharts-legend-wrapper, [data-chart-legend]',
      )) {
        const box = legend.getBoundingClientRect();
        for (const [text, label] of labels) {
          if (
            label.width > 0 &&
            label.height > 0 &&
            label.right > box.left &&
            label.left < box.right &&
            label.bottom > box.top &&
            label.top < box.bottom
          ) {
            overlaps.add(
              `at ${window.innerWidth} px: legend "${legend.textContent?.slice(
                0,
                40,
              )}" over tick "${text}"`,
            );
          }
        }
      }
    };
    const frame = () => {
      check();
      if (w.__forgeLegendWatching) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  for (const width of options.widths ?? CHART_WIDTHS) {
    await page.setViewportSize({ width, height: viewport.height });
    await page.waitForTimeout(800);
  }
  await page.setViewportSize(viewport);
  await page.waitForTimeout(800);
  const overlaps: string[] = await page.evaluate(() => {
    const w = window as any;
    w.__forgeLegendWatching = false;
    return [...w.__forgeLegendOverlaps];
  });
  expect(overlaps, `chart legends over axis labels on ${where}`).toEqual([]);
}
