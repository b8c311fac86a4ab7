import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
  resolveSafeChildPath,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  Entity,
  parseEntityRef,
  parseLocationRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError, ResponseError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { FORGE_ANNOTATIONS } from '@internal/plugin-compliance-common';
import fs from 'node:fs/promises';
import path from 'node:path';
import { templateSources } from '../blueprints/templateSources';

/** What the review page shows before anything is created. */
export interface BlueprintPreviewResult {
  /** The form is not complete or not valid yet: what the scaffolder said about it. */
  errors?: string[];
  /** A step stopped the dry run (for example the cost above the hard limit), with its message. */
  stoppedBy?: { step: string; message: string };
  preview?: Record<string, unknown>;
}

const MAX_FILES = 2000;
const MAX_BYTES = 20 * 1024 * 1024;

/**
 * The review page's preview: runs the blueprint itself as a scaffolder dry run (its real steps: estimate,
 * environment plan, render, compliance gate; publishing and registration do nothing in a dry run) and returns the
 * template's `preview` output. The dry run runs as the scaffolder module (a service), because dry runs of arbitrary
 * templates are an admin permission; only Forge blueprints from the catalog can be previewed.
 */
export class BlueprintPreview {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      discovery: DiscoveryService;
      urlReader: UrlReaderService;
      fetch?: typeof fetch;
    },
  ) {}

  async preview(
    templateRef: string,
    values: Record<string, unknown>,
    credentials: BackstageCredentials,
  ): Promise<BlueprintPreviewResult> {
    const { catalog, auth, discovery } = this.options;
    const ref = stringifyEntityRef(parseEntityRef(templateRef, { defaultKind: 'template' }));
    const template = await catalog.getEntityByRef(ref, { credentials });
    if (!template || template.kind !== 'Template') {
      throw new NotFoundError(`No template ${ref} in the catalog`);
    }
    if (!template.metadata.annotations?.[FORGE_ANNOTATIONS.blueprintVersion]) {
      throw new InputError(`${ref} is not a Forge blueprint (it has no ${FORGE_ANNOTATIONS.blueprintVersion})`);
    }
    const directoryContents = await this.readTemplateFiles(template);
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'scaffolder',
    });
    const response = await (this.options.fetch ?? fetch)(
      `${await discovery.getBaseUrl('scaffolder')}/v2/dry-run`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ template, values, secrets: {}, directoryContents }),
      },
    );
    const body = await response.json().catch(() => ({}));
    if (response.status === 400 && Array.isArray(body.errors)) {
      return { errors: body.errors.map((e: { stack?: string; message?: string }) => e.stack ?? e.message ?? String(e)) };
    }
    if (!response.ok) {
      const message: string = body?.error?.message ?? `dry run failed with HTTP ${response.status}`;
      if (body?.error?.name === 'InputError' || body?.error?.name === 'NotAllowedError') {
        const step = message.match(/^(forge:[a-z:]+):/)?.[1] ?? 'a step';
        return { stoppedBy: { step, message } };
      }
      throw await ResponseError.fromResponse(
        new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } }),
      );
    }
    const preview = body.output?.preview;
    return { preview: typeof preview === 'string' ? JSON.parse(preview) : preview ?? {} };
  }

  /**
   * The folders the blueprint's fetch steps read (its own skeleton and the shared one), as the dry-run API wants
   * them: paths relative to the template file. Nothing else of the templates folder is read or sent.
   */
  private async readTemplateFiles(template: Entity) {
    const location = template.metadata.annotations?.[ANNOTATION_LOCATION];
    if (!location) throw new InputError('The template has no location to read its files from');
    const { type, target } = parseLocationRef(location);
    const files: Array<{ path: string; base64Content: string }> = [];
    let bytes = 0;
    const add = (file: string, content: Buffer) => {
      bytes += content.length;
      if (files.length >= MAX_FILES || bytes > MAX_BYTES) {
        throw new InputError('The blueprint is too large to preview');
      }
      files.push({ path: file, base64Content: content.toString('base64') });
    };
    const root = path.dirname(target);
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) add(path.relative(root, full), await fs.readFile(full));
      }
    };
    for (const source of templateSources(template)) {
      if (type === 'file') {
        await walk(resolveSafeChildPath(root, source));
      } else {
        const tree = await this.options.urlReader.readTree(new URL(`${source}/`, target).toString());
        for (const file of await tree.files()) add(`${source}/${file.path}`, await file.content());
      }
    }
    return files;
  }
}
