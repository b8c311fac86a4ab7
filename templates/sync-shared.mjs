// Copies the files every blueprint shares (templates/_shared/skeleton: catalog-info.yaml, CI, TechDocs pages, the
// script that reports scan results to Forge) into each blueprint's skeleton/common, which its first fetch:template
// step renders. fetch:template cannot read outside a template's own folder, so the copies are committed; the
// rendering tests fail when a copy differs from _shared. Run after changing anything in _shared:
//   node templates/sync-shared.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const shared = path.join(here, '_shared', 'skeleton');

const blueprints = fs
  .readdirSync(here, { withFileTypes: true })
  .filter(d => d.isDirectory() && !d.name.startsWith('_'))
  .filter(d => fs.existsSync(path.join(here, d.name, 'template.yaml')))
  .map(d => d.name);

for (const blueprint of blueprints) {
  const target = path.join(here, blueprint, 'skeleton', 'common');
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(shared, target, { recursive: true });
  console.log(`synced ${path.relative(here, target)}`);
}
