import { FORGE_ANNOTATIONS } from '@internal/plugin-compliance-common';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const ENTITY_FILE = /\.(ya?ml|json)$/i;
const MAX_FILES = 2000;
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Every `forge.io/cost-center` the entity files about to be published carry: catalog-info.yaml, and any other YAML or
 * JSON file a Location in it could point the catalog at. forge:publish checks each against the person's teams
 * (BlueprintOwners.assertMayCharge), so a template that writes a cost center without forge:cost:estimate, or a
 * different one from the estimate's, is refused too. Symbolic links are not followed; files that are not YAML are
 * left alone (the catalog would not read them either).
 */
export async function renderedCostCenters(dir: string): Promise<string[]> {
  const found = new Set<string>();
  let files = 0;
  const walk = async (current: string): Promise<void> => {
    const entries = await fs
      .readdir(current, { withFileTypes: true })
      .catch(() => []);
    for (const entry of entries) {
      if (files >= MAX_FILES) return;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git' && entry.name !== 'node_modules')
          await walk(full);
        continue;
      }
      if (!entry.isFile() || !ENTITY_FILE.test(entry.name)) continue;
      files += 1;
      const stat = await fs.stat(full);
      if (stat.size > MAX_FILE_BYTES) continue;
      for (const doc of parseAllDocuments(await fs.readFile(full, 'utf8'))) {
        if (!('errors' in doc) || doc.errors.length) continue;
        const value = (
          doc.toJSON() as {
            metadata?: { annotations?: Record<string, unknown> };
          } | null
        )?.metadata?.annotations?.[FORGE_ANNOTATIONS.costCenter];
        if (
          value !== undefined &&
          value !== null &&
          String(value).trim() !== ''
        )
          found.add(String(value).trim());
      }
    }
  };
  await walk(dir);
  return [...found].sort();
}
