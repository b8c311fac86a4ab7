import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import knexFactory, { Knex } from 'knex';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './__testUtils__/matrixBackend';

/**
 * Who holds which role is read from the catalog's groups (a group whose parent is compliance-risk makes its members
 * compliance), and templates run the Forge actions with the scaffolder's token. So groups, users and templates may
 * come only from the organisation's and the blueprints' own locations: a location anyone registers (here one more
 * location beside the configured ones, as a member's registration would be) brings in components, not roles.
 * Both configurations are tried as written, with their catalog rules and locations.
 */
const CONFIGS = [
  // The embedded default runs in packages/backend; production from the repository root.
  { file: 'app-config.yaml', cwd: path.join(ROOT, 'packages/backend') },
  { file: 'app-config.production.yaml', cwd: ROOT },
];

function catalogConfigOf(file: string, cwd: string) {
  const base = parseYaml(
    fs.readFileSync(path.join(ROOT, 'app-config.yaml'), 'utf8'),
  ).catalog;
  const own = parseYaml(fs.readFileSync(path.join(ROOT, file), 'utf8')).catalog;
  // Backstage merges configuration files key by key, and a later file's array replaces the earlier one's.
  const merged = { ...base, ...own };
  return {
    rules: merged.rules,
    locations: merged.locations.map((l: { type: string; target: string }) =>
      l.type === 'file' ? { ...l, target: path.resolve(cwd, l.target) } : l,
    ),
  };
}

/** What a member would put in a location they register, one kind a file. */
const HOSTILE: Record<string, string> = {
  'shadow-compliance': `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: shadow-compliance
spec:
  type: team
  parent: compliance-risk
  children: []
  members: [mateo.garcia]
`,
  'shadow-admin': `apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: shadow-admin
spec:
  memberOf: [platform-admins]
`,
  'shadow-blueprint': `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: shadow-blueprint
spec:
  type: service
  steps: []
`,
  'registered-by-a-member': `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: registered-by-a-member
spec:
  type: service
  lifecycle: experimental
  owner: group:default/data-platform
`,
};

describe.each(CONFIGS)('catalog rules of $file', ({ file, cwd }) => {
  let dir: string;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let knex: Knex;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-catalog-rules-'));
    for (const [name, yaml] of Object.entries(HOSTILE)) {
      fs.writeFileSync(path.join(dir, `${name}.yaml`), yaml);
    }
    const catalog = catalogConfigOf(file, cwd);
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(dir, 'catalog.sqlite') },
      useNullAsDefault: true,
    });
    backend = await startTestBackend({
      features: [
        catalogPlugin,
        scaffolderEntityModel,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              ...catalog,
              processingInterval: { seconds: 1 },
              // The configuration under test, plus the member's locations (no rules of their own, as theirs).
              locations: [
                ...catalog.locations,
                ...Object.keys(HOSTILE).map(name => ({
                  type: 'file',
                  target: path.join(dir, `${name}.yaml`),
                })),
              ],
            },
          },
        }),
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await backend?.stop();
    await knex?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const entity = (ref: string) =>
    request(backend.server)
      .get(`/api/catalog/entities/by-name/${ref}`)
      .set('Authorization', mockCredentials.service.header());

  async function loaded(ref: string) {
    for (let i = 0; i < 480; i++) {
      if ((await entity(ref)).status === 200) return;
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`${ref} never appeared in the catalog`);
  }

  it('brings in the organisation and the blueprints from their own locations', async () => {
    await loaded('group/default/compliance-risk');
    await loaded('user/default/mateo.garcia');
    await loaded('template/default/dbt-analytics');
  }, 150_000);

  /**
   * The catalog's processing errors that name `entityRef`, once the catalog has processed the location holding it. A
   * refused location never becomes an entity the API lists, so its errors are read where the catalog keeps them.
   */
  async function processingErrors(entityRef: string): Promise<string> {
    for (let i = 0; i < 480; i++) {
      const rows: Array<{ errors: string | null }> = await knex(
        'refresh_state',
      ).select('errors');
      const found = rows
        .map(r => r.errors ?? '')
        .filter(e => e.includes(entityRef));
      if (found.length > 0) return found.join('\n');
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`no location naming ${entityRef} was ever processed`);
  }

  it.each([
    ['group', 'shadow-compliance'],
    ['user', 'shadow-admin'],
    ['template', 'shadow-blueprint'],
  ])(
    'refuses a %s from any other location',
    async (kind, name) => {
      expect(await processingErrors(`${kind}:default/${name}`)).toContain(
        'is not of an allowed kind for that location',
      );
      expect((await entity(`${kind}/default/${name}`)).status).toBe(404);
    },
    150_000,
  );

  it('lets a component in from the same kind of location', async () => {
    await loaded('component/default/registered-by-a-member');
  }, 150_000);
});
