// Test support: renders a blueprint from templates/ through the real scaffolder backend's dry-run API and checks
// what it generated the way the rendering tests require.
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  EntityEvaluation,
  PolicyEvaluator,
  PolicyPack,
} from '@internal/plugin-compliance-common';
import { collectEvidence } from '../compliance/collectEvidence';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { validateManifest } from '../environment/validateManifest';
import { validateCatalogEntity } from '../lib/validateEntity';
import { templateSources } from './templateSources';
import { REPO_ROOT } from '../__testUtils__';

export const TEMPLATES_DIR = path.join(REPO_ROOT, 'templates');

/** The blueprints registered in templates/all.yaml. */
export function blueprintNames(): string[] {
  const location = parse(
    fs.readFileSync(path.join(TEMPLATES_DIR, 'all.yaml'), 'utf8'),
  );
  return (location.spec.targets as string[]).map(t =>
    path.basename(t, '.yaml'),
  );
}

export function templatePath(name: string): string {
  return path.join(TEMPLATES_DIR, `${name}.yaml`);
}

export function loadTemplate(name: string): Entity {
  return parse(fs.readFileSync(templatePath(name), 'utf8'));
}

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory()
      ? listFiles(path.join(dir, entry.name), relative)
      : [relative];
  });
}

/** The folders the blueprint's fetch steps read, relative to templates/, as the dry-run API wants them. */
export function templateDirectoryContents(name: string) {
  return templateSources(loadTemplate(name)).flatMap(source =>
    listFiles(path.join(TEMPLATES_DIR, source)).map(file => ({
      path: `${source}/${file}`,
      base64Content: fs
        .readFileSync(path.join(TEMPLATES_DIR, source, file))
        .toString('base64'),
    })),
  );
}

export interface RenderedFile {
  path: string;
  content: string;
}

const NOT_KUBERNETES = new Set([
  'backstage.io/v1alpha1',
  'forge.io/v1',
  'kustomize.config.k8s.io/v1beta1',
]);

/** Everything wrong with a rendered project; empty when it is all right. */
export async function checkRenderedProject(
  files: RenderedFile[],
  packs: PolicyPack[],
  environment: { groups: string[]; blueprints: Record<string, string> },
  related: Entity[],
): Promise<{ problems: string[]; stats: Record<string, number> }> {
  const problems: string[] = [];
  const stats = {
    yaml: 0,
    python: 0,
    manifests: 0,
    entities: 0,
    json: 0,
    notebooks: 0,
  };

  for (const file of files) {
    if (file.path.endsWith('.njk'))
      problems.push(`${file.path}: left unrendered`);
    // Leftover scaffolder expressions (GitHub Actions' own ${{ vars. }}, ${{ secrets. }} and ${{ needs. }} are fine).
    if (/\$\{\{\s*(values|parameters|steps)\b/.test(file.content)) {
      problems.push(`${file.path}: contains an unrendered template expression`);
    }
    if (/\.ya?ml$/.test(file.path)) {
      for (const [index, doc] of parseAllDocuments(file.content).entries()) {
        if (doc.errors.length) {
          problems.push(
            `${file.path} document ${index + 1}: ${doc.errors[0].message}`,
          );
          continue;
        }
        stats.yaml += 1;
        const value = doc.toJSON();
        if (
          value &&
          typeof value === 'object' &&
          'apiVersion' in value &&
          'kind' in value
        ) {
          if (value.apiVersion === 'backstage.io/v1alpha1') {
            stats.entities += 1;
            const validated = await validateCatalogEntity(value);
            if ('error' in validated)
              problems.push(`${file.path}: entity refused: ${validated.error}`);
          } else if (!NOT_KUBERNETES.has(value.apiVersion)) {
            stats.manifests += 1;
            for (const problem of validateManifest(value)) {
              problems.push(
                `${file.path} ${value.kind}/${value.metadata?.name}: ${problem}`,
              );
            }
          }
        }
      }
    }
    if (file.path.endsWith('.json')) {
      try {
        JSON.parse(file.content);
        stats.json += 1;
      } catch (e) {
        problems.push(`${file.path}: ${(e as Error).message}`);
      }
    }
  }

  // Python: every module and every notebook code cell compiles.
  const pythonDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-py-'));
  try {
    const sources: string[] = [];
    for (const file of files) {
      if (file.path.endsWith('.py')) {
        const target = path.join(pythonDir, file.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, file.content);
        sources.push(target);
      }
      if (file.path.endsWith('.ipynb')) {
        stats.notebooks += 1;
        const notebook = JSON.parse(file.content);
        notebook.cells
          .filter((c: any) => c.cell_type === 'code')
          .forEach((cell: any, i: number) => {
            const target = path.join(pythonDir, `${file.path}.cell${i}.py`);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            // IPython magics are not Python; a cell starting with one is not compiled.
            const source = Array.isArray(cell.source)
              ? cell.source.join('')
              : cell.source;
            if (!source.trimStart().startsWith('%')) {
              fs.writeFileSync(target, source);
              sources.push(target);
            }
          });
      }
    }
    for (const source of sources) {
      try {
        await promisify(execFile)('python3', ['-m', 'py_compile', source]);
        stats.python += 1;
      } catch (e) {
        problems.push(
          `${path.relative(pythonDir, source)} does not compile: ${
            (e as { stderr?: string }).stderr ?? e
          }`,
        );
      }
    }
  } finally {
    fs.rmSync(pythonDir, { recursive: true, force: true });
  }

  // The entities pass every check of the pack that applies to a request.
  const catalogInfo = files.find(f => f.path === 'catalog-info.yaml');
  if (!catalogInfo) {
    problems.push('no catalog-info.yaml');
  } else {
    const documents = parseAllDocuments(catalogInfo.content).map(
      d => d.toJSON() as Entity,
    );
    const evaluator = PolicyEvaluator.fromPacks(packs);
    const known = new Map(
      [...related, ...documents].map(e => [stringifyEntityRef(e), e]),
    );
    for (const entity of documents) {
      const dependsOn = (
        (entity.spec as { dependsOn?: string[] })?.dependsOn ?? []
      ).map(ref =>
        stringifyEntityRef(
          parseEntityRef(ref, {
            defaultKind: 'component',
            defaultNamespace: 'default',
          }),
        ),
      );
      const evaluation = evaluator.evaluate(
        {
          entity,
          related: dependsOn
            .map(ref => known.get(ref))
            .filter((e): e is Entity => !!e),
        },
        environment,
        'request',
      );
      for (const result of evaluation.results) {
        if (result.status === 'fail' || result.status === 'error') {
          problems.push(
            `${entity.kind}:${entity.metadata.name} fails ${result.checkId}: ${result.message}`,
          );
        }
      }
    }
  }
  return { problems, stats };
}

/**
 * The scorecard a rendered project gets on the day it is created, as the compliance backend computes it: the
 * rendered catalog-info.yaml's entities with the facts forge:evidence:collect produces from the rendered files, in
 * catalog mode (every check), first seen now.
 */
export async function scoreAtCreation(
  files: RenderedFile[],
  packs: PolicyPack[],
  environment: { groups: string[]; blueprints: Record<string, string> },
  related: Entity[],
  now: Date,
): Promise<EntityEvaluation[]> {
  const catalogInfo = files.find(f => f.path === 'catalog-info.yaml');
  if (!catalogInfo) throw new Error('no catalog-info.yaml');
  const documents = parseAllDocuments(catalogInfo.content).map(
    d => d.toJSON() as Entity,
  );
  const component = documents.find(d => d.kind === 'Component')!;
  const { facts } = await collectEvidence({
    files,
    project: {
      name: component.metadata.name,
      description: component.metadata.description,
    },
    now,
  });
  const evaluator = PolicyEvaluator.fromPacks(packs);
  const known = new Map(
    [...related, ...documents].map(e => [stringifyEntityRef(e), e]),
  );
  return documents.map(entity => {
    const dependsOn = (
      (entity.spec as { dependsOn?: string[] })?.dependsOn ?? []
    ).map(ref =>
      stringifyEntityRef(
        parseEntityRef(ref, {
          defaultKind: 'component',
          defaultNamespace: 'default',
        }),
      ),
    );
    return evaluator.evaluate(
      {
        entity,
        related: dependsOn
          .map(ref => known.get(ref))
          .filter((e): e is Entity => !!e),
        // The blueprint's facts are about its Component, as forge:catalog:register pushes them.
        facts: entity === component ? facts : [],
        firstSeenAt: now,
        now,
      },
      environment,
      'catalog',
    );
  });
}
