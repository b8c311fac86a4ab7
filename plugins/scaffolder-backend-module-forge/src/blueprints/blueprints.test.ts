// Every blueprint rendered through the real scaffolder backend (its dry-run API), with the forge:* actions and the
// real compliance backend: the generated YAML parses, Python compiles, Kubernetes manifests validate, catalog-info
// validates with @backstage/catalog-model and its entities pass the policy pack in request mode.
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import compliancePlugin from '@internal/plugin-compliance-backend';
import request from 'supertest';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import { DATA_CLASSIFICATIONS } from '@internal/plugin-compliance-common';
import { validateCatalogEntity } from '../lib/validateEntity';
import { scaffolderModuleForge } from '../module';
import { blueprintOwnerAnyPermission } from '../owners';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { parse } from 'yaml';
import {
  loadBaselinePack,
  loadDemoEntities,
  REPO_ROOT,
} from '../__testUtils__';
import {
  blueprintNames,
  checkRenderedProject,
  loadTemplate,
  scoreAtCreation,
  templatePath,
  TEMPLATES_DIR,
  templateDirectoryContents,
} from './renderBlueprint';
import { GeneratedTestRun, runGeneratedTests } from './runGeneratedTests';
import { SAMPLE_ANSWERS } from './sampleAnswers';
import { templateSources } from './templateSources';

jest.setTimeout(120_000);

describe('blueprints rendered through the scaffolder backend', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-blueprints-'));
  const templates = blueprintNames().map(name => ({
    ...loadTemplate(name),
    metadata: { ...loadTemplate(name).metadata, namespace: 'default' },
  }));
  const demo = loadDemoEntities();
  const blueprintSettings = parse(
    fs.readFileSync(path.join(REPO_ROOT, 'app-config.yaml'), 'utf8'),
  ).forge.blueprints;
  let server: any;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderModuleForge,
        compliancePlugin,
        catalogServiceMock.factory({ entities: [...demo, ...templates] }),
        mockServices.rootConfig.factory({
          data: {
            forge: {
              // The blueprint settings Forge ships (app-config.yaml): prices, regions, environment, publishing.
              blueprints: {
                ...blueprintSettings,
                // Not main: the generated CI must follow the configured branch.
                publish: { ...blueprintSettings.publish, defaultBranch: 'trunk' },
              },
              dataDir,
              compliance: { policyDirectory: path.join(REPO_ROOT, 'policies') },
            },
            scaffolder: {
              defaultAuthor: { name: 'Forge', email: 'forge@test' },
            },
          },
        }),
      ],
    }));
  });
  const testRuns: Record<string, GeneratedTestRun> = {};
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    // Which generated tests ran here, and which need libraries this machine does not have.
    for (const [name, run] of Object.entries(testRuns)) {
      process.stdout.write(
        `${name}: ran ${run.ran.join(', ') || 'none'}${run.notRunnable
          .map(n => `; not run ${n.file} (needs ${n.missing.join(', ')})`)
          .join('')}\n`,
      );
    }
  });

  it('registers every blueprint listed in templates/all.yaml, tagged analytics or ml, with its version', async () => {
    expect(templates.length).toBeGreaterThan(0);
    for (const template of templates) {
      // As the catalog validates it: the envelope and field formats, then the Template kind's schema.
      expect(
        await validateCatalogEntity(template, [templateEntityV1beta3Validator]),
      ).toEqual({
        entity: expect.anything(),
      });
      expect(
        template.metadata.annotations?.['forge.io/blueprint-version'],
      ).toMatch(/^\d+\.\d+\.\d+$/);
      expect(
        template.metadata.tags?.some(t => t === 'analytics' || t === 'ml'),
      ).toBe(true);
      expect(SAMPLE_ANSWERS[template.metadata.name]).toBeDefined();
    }
  });

  it('takes a description on one line, without template syntax, markup or control characters', () => {
    // The scaffolder checks parameters with their JSON schema pattern as a unicode RegExp, in the form and again in
    // the backend when the task is created; the description is written into the generated README, docs and catalog.
    for (const name of blueprintNames()) {
      const steps = loadTemplate(name).spec!.parameters as any[];
      const schema = steps.find(p => p.properties?.description)?.properties
        .description;
      const accepts = (value: string) =>
        new RegExp(schema.pattern, 'u').test(value);
      expect(accepts('Scores claims for fraud, nightly, in eu-west-1.')).toBe(
        true,
      );
      for (const bad of [
        'Scores claims for fraud\nowner: group:default/other',
        'Scores claims for fraud\r\n# Injected heading',
        'Scores claims\u0000 for fraud nightly',
        'Scores claims\u001b[31m for fraud nightly',
        'Scores claims for fraud ${{ secrets.token }}',
        'Scores claims <script>alert(1)</script>',
        'Scores claims for fraud \\u0041',
      ]) {
        expect({ name, bad, accepted: accepts(bad) }).toEqual({
          name,
          bad,
          accepted: false,
        });
      }
    }
  });

  it('reads only its own skeleton and the shared one, and has its own docs beside them', () => {
    for (const name of blueprintNames()) {
      const template = loadTemplate(name);
      expect(templateSources(template).sort()).toEqual(
        ['./_shared/skeleton', `./${name}/skeleton/project`]
          .sort()
          .map(p => p.slice(2)),
      );
      const docs = template.metadata.annotations?.['backstage.io/techdocs-ref'];
      expect(docs).toBe(`dir:./${name}`);
      expect(fs.existsSync(path.join(TEMPLATES_DIR, name, 'mkdocs.yml'))).toBe(
        true,
      );
      expect(
        fs.existsSync(path.join(TEMPLATES_DIR, name, 'docs/index.md')),
      ).toBe(true);
    }
    expect(() =>
      templateSources({
        ...loadTemplate(blueprintNames()[0]),
        spec: {
          steps: [{ action: 'fetch:template', input: { url: './../../etc' } }],
        },
      }),
    ).toThrow(/must name a folder below the template/);
  });

  it.each(blueprintNames())(
    '%s renders a working, compliant project',
    async name => {
      const response = await request(server)
        .post('/api/scaffolder/v2/dry-run')
        .set('Authorization', mockCredentials.user.header('user:default/guest'))
        .send({
          template: loadTemplate(name),
          values: SAMPLE_ANSWERS[name],
          secrets: {},
          directoryContents: templateDirectoryContents(name),
        });
      expect({ status: response.status, error: response.body?.error }).toEqual({
        status: 200,
        error: undefined,
      });

      const files = (
        response.body.directoryContents as Array<{
          path: string;
          base64Content: string;
        }>
      ).map(f => ({
        path: f.path,
        content: Buffer.from(f.base64Content, 'base64').toString('utf8'),
      }));
      // FORGE_RENDER_OUT=<dir> keeps what each blueprint rendered, to read it.
      if (process.env.FORGE_RENDER_OUT) {
        for (const file of files) {
          const target = path.join(
            process.env.FORGE_RENDER_OUT,
            name,
            file.path,
          );
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, file.content);
        }
      }
      const paths = files.map(f => f.path);
      for (const expected of [
        'catalog-info.yaml',
        'README.md',
        'mkdocs.yml',
        'docs/index.md',
        'docs/cost-estimate.md',
        'docs/environment.md',
        '.github/workflows/ci.yaml',
        '.gitlab-ci.yml',
        'ci/forge_facts.py',
        'environment/request.yaml',
        'environment/kubernetes/network-policies.yaml',
        'environment/terraform/main.tf.json',
      ]) {
        expect(paths).toContain(expected);
      }

      // CI reports from the configured default branch, and scans daily: a weekly scan equals the policy's
      // maxScanAge (168 h), so any late run failed security.dependency-scan-fresh (issue 11).
      const content = (file: string) =>
        files.find(f => f.path === file)!.content.toString();
      const ci = parse(content('.github/workflows/ci.yaml'));
      expect(ci.on.push.branches).toEqual(['trunk']);
      expect(ci.on.schedule).toEqual([{ cron: '17 5 * * *' }]);
      expect(ci.jobs.report.if).toBe(
        "always() && github.ref == 'refs/heads/trunk'",
      );
      expect(ci.jobs.report.steps[1].env).toEqual({
        FORGE_URL: '${{ vars.FORGE_URL }}',
        FORGE_TOKEN: '${{ secrets.FORGE_TOKEN }}',
      });
      expect(content('.github/workflows/ci.yaml')).not.toContain('main');
      // The owner is told to set what forge:publish cannot.
      expect(content('README.md')).toMatch(
        /set the variable `FORGE_URL`.*and the secret `FORGE_TOKEN`/s,
      );

      const related = demo.filter(e => e.kind === 'Resource');
      const { problems, stats } = await checkRenderedProject(
        files,
        [loadBaselinePack()],
        {
          groups: demo
            .filter(e => e.kind === 'Group')
            .map(g => `group:default/${g.metadata.name}`),
          blueprints: Object.fromEntries(
            templates.map(t => [
              t.metadata.name,
              t.metadata.annotations!['forge.io/blueprint-version'],
            ]),
          ),
        },
        related as Entity[],
      );
      expect(problems).toEqual([]);
      expect(stats.entities).toBeGreaterThanOrEqual(2);
      expect(stats.manifests).toBeGreaterThanOrEqual(10);

      // The project's own tests pass, those whose libraries are installed on this machine.
      const tests = await runGeneratedTests(files);
      expect({
        passed: tests.passed,
        output: tests.passed ? '' : tests.output,
      }).toEqual({ passed: true, output: '' });
      testRuns[name] = tests;

      // The gate ran on what was rendered, with the real compliance backend's packs, and passed.
      const gateLog = (
        response.body.log as Array<{
          body: { stepId?: string; message: string };
        }>
      )
        .filter(l => l.body.stepId === 'gate')
        .map(l => l.body.message)
        .join('\n');
      expect(gateLog).toContain('The compliance gate passed.');
    },
  );
});

describe('a project on the day it is created from a blueprint', () => {
  const dataDir = fs.mkdtempSync(
    path.join(os.tmpdir(), 'forge-born-compliant-'),
  );
  const templates = blueprintNames().map(name => ({
    ...loadTemplate(name),
    metadata: { ...loadTemplate(name).metadata, namespace: 'default' },
  }));
  const demo = loadDemoEntities();
  const pack = loadBaselinePack();
  const environment = {
    groups: demo
      .filter(e => e.kind === 'Group')
      .map(g => `group:default/${g.metadata.name}`),
    blueprints: Object.fromEntries(
      templates.map(t => [
        t.metadata.name,
        t.metadata.annotations!['forge.io/blueprint-version'],
      ]),
    ),
  };
  // The checks only CI can decide, by the pack: everything else is decided when the project is created.
  const awaitingCi = new Set(
    pack.checks.filter(c => c.awaitsEvidence).map(c => c.id),
  );
  let server: any;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderModuleForge,
        compliancePlugin,
        catalogServiceMock.factory({ entities: [...demo, ...templates] }),
        mockServices.rootConfig.factory({
          data: {
            forge: {
              blueprints: parse(
                fs.readFileSync(
                  path.join(REPO_ROOT, 'app-config.yaml'),
                  'utf8',
                ),
              ).forge.blueprints,
              dataDir,
              compliance: { policyDirectory: path.join(REPO_ROOT, 'policies') },
            },
            scaffolder: {
              defaultAuthor: { name: 'Forge', email: 'forge@test' },
            },
          },
        }),
      ],
    }));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  // Every classification a member can pick, with and without personal data: the environment step raises it to the
  // sources' classification, so each blueprint is tried at every classification its data allows.
  const choices = DATA_CLASSIFICATIONS.flatMap(classification =>
    [false, true].map(containsPii => ({ classification, containsPii })),
  );

  it.each(blueprintNames())(
    '%s scores 100 on every check decided at creation, with the CI checks pending, for each classification the gate lets through',
    async name => {
      const now = new Date();
      const outcomes: string[] = [];
      for (const choice of choices) {
        const response = await request(server)
          .post('/api/scaffolder/v2/dry-run')
          .set(
            'Authorization',
            mockCredentials.user.header('user:default/guest'),
          )
          .send({
            template: loadTemplate(name),
            values: { ...SAMPLE_ANSWERS[name], ...choice },
            secrets: {},
            directoryContents: templateDirectoryContents(name),
          });
        expect({
          status: response.status,
          error: response.body?.error,
        }).toEqual({ status: 200, error: undefined });
        const log = (
          response.body.log as Array<{
            body: { stepId?: string; message: string };
          }>
        )
          .filter(l => l.body.stepId === 'gate')
          .map(l => l.body.message)
          .join('\n');
        // Passed, or passed once Compliance approves (restricted data): the project created is the same.
        const approval = log.includes(
          'Approval required before this project can be created',
        );
        const decision =
          log.includes('The compliance gate passed.') || approval
            ? 'through'
            : 'blocked';
        expect({
          choice,
          decision,
          log:
            decision === 'blocked'
              ? log.includes('Blocked by the compliance gate')
              : true,
        }).toEqual({ choice, decision, log: true });
        if (decision === 'blocked') {
          outcomes.push(
            `${choice.classification}/${choice.containsPii}: blocked`,
          );
          continue;
        }
        const files = (
          response.body.directoryContents as Array<{
            path: string;
            base64Content: string;
          }>
        ).map(f => ({
          path: f.path,
          content: Buffer.from(f.base64Content, 'base64').toString('utf8'),
        }));
        const [component] = await scoreAtCreation(
          files,
          [pack],
          environment,
          demo.filter(e => e.kind === 'Resource'),
          now,
        );
        const undecided = component.results.filter(
          r => r.status !== 'pass' && r.status !== 'not_applicable',
        );
        expect({
          choice,
          score: component.score,
          notPassing: undecided.filter(
            r => r.status !== 'pending' || !awaitingCi.has(r.checkId),
          ),
        }).toEqual({ choice, score: 100, notPassing: [] });
        const pending = undecided.map(r => r.checkId).sort();
        expect(pending).toEqual(
          expect.arrayContaining([
            'ci.tests-passing',
            'security.dependency-scan-fresh',
            'security.no-critical-vulnerabilities',
          ]),
        );
        expect(component.pending).toBe(pending.length);
        // Born at the top level, not bronze: provisional on the CI evidence it awaits (issue 11).
        expect([component.level, component.levelProvisional]).toEqual([
          'gold',
          true,
        ]);
        expect(
          component.results.find(
            r => r.checkId === 'security.no-leaked-secrets',
          )?.status,
        ).toBe('pass');
        for (const r of undecided)
          expect(Date.parse(r.dueAt!)).toBeGreaterThan(now.getTime());
        outcomes.push(
          `${choice.classification}/${choice.containsPii}${
            approval ? ' (approved)' : ''
          }: ${component.score}, ${pending.length} pending`,
        );
      }
      // At least the sample answers themselves go through.
      expect(outcomes.some(o => o.endsWith('pending'))).toBe(true);
      process.stdout.write(`${name}: ${outcomes.join('; ')}\n`);
    },
  );
});

describe('the review page preview', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-preview-'));
  const templates = blueprintNames().map(name => {
    const template = loadTemplate(name);
    return {
      ...template,
      metadata: {
        ...template.metadata,
        namespace: 'default',
        annotations: {
          ...template.metadata.annotations,
          'backstage.io/managed-by-location': `file:${templatePath(name)}`,
        },
      },
    };
  });
  let server: any;
  let compliance: any;

  beforeAll(async () => {
    ({ server } = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderModuleForge,
        compliancePlugin,
        catalogServiceMock.factory({
          entities: [...loadDemoEntities(), ...templates],
        }),
        // Forge's policy as far as the owner rule goes: only platform admins (Noah Kim in the demo organisation) hold
        // forge.blueprint.owner.any (packages/backend/src/modules/permissions); the rest is allowed here.
        mockServices.permissions.mock({
          authorize: async (requests, options) =>
            requests.map(r => ({
              result:
                r.permission.name === blueprintOwnerAnyPermission.name &&
                (options?.credentials.principal as { userEntityRef?: string })
                  .userEntityRef !== 'user:default/noah.kim'
                  ? AuthorizeResult.DENY
                  : AuthorizeResult.ALLOW,
            })),
          authorizeConditional: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })),
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            forge: {
              blueprints: parse(
                fs.readFileSync(
                  path.join(REPO_ROOT, 'app-config.yaml'),
                  'utf8',
                ),
              ).forge.blueprints,
              dataDir,
              compliance: { policyDirectory: path.join(REPO_ROOT, 'policies') },
            },
          },
        }),
      ],
    }));
    compliance = request(server);
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const preview = (
    values: Record<string, unknown>,
    templateRef = 'template:default/ml-training-pipeline',
    user = 'user:default/guest',
  ) =>
    request(server)
      .post('/api/scaffolder/forge/preview')
      .set('Authorization', mockCredentials.user.header(user))
      .send({ templateRef, values });

  it('shows the estimate and the compliance result of a complete form, creating nothing', async () => {
    const response = await preview(SAMPLE_ANSWERS['ml-training-pipeline']);
    expect({
      status: response.status,
      error: response.body.error?.message,
    }).toEqual({ status: 200, error: undefined });
    expect(response.body.preview).toMatchObject({
      decision: 'passed',
      currency: 'USD',
      classification: 'confidential',
      monthlyTotal: expect.any(Number),
      costLines: expect.arrayContaining([
        expect.objectContaining({ category: 'gpu' }),
      ]),
    });
    // No repository, workspace or upload: only what the compliance backend keeps from its start (the history's
    // key and checkpoints) may be in the data folder.
    expect(fs.readdirSync(dataDir).filter(f => f !== 'compliance')).toEqual([]);
  });

  it('says an approval is needed for restricted data, without filing one', async () => {
    const response = await preview({
      ...SAMPLE_ANSWERS['ml-training-pipeline'],
      dataSources: ['resource:default/claims-warehouse'],
    });
    expect(response.body.preview).toMatchObject({
      decision: 'approval-required',
      classification: 'restricted',
      approvals: [
        expect.objectContaining({
          checkId: 'approval.restricted-data',
          status: 'missing',
        }),
      ],
    });
    const queue = await compliance
      .get('/api/compliance/exemptions')
      .set('Authorization', mockCredentials.user.header('user:default/guest'));
    expect(queue.body.items).toEqual([]);
  });

  it('reports an incomplete form and a refused request instead of failing', async () => {
    const incomplete = await preview({ name: 'x' });
    expect(incomplete.status).toBe(200);
    expect(incomplete.body.errors.length).toBeGreaterThan(0);

    const tooExpensive = await preview({
      ...SAMPLE_ANSWERS['ml-training-pipeline'],
      gpuType: 'nvidia-a100',
      gpuCount: 8,
      trainingHours: 700,
    });
    expect(tooExpensive.body.stoppedBy).toMatchObject({
      step: 'forge:cost:estimate',
      message: expect.stringContaining('above the hard limit'),
    });
  });

  it("refuses a member's run that charges another department's cost center (issue 11)", async () => {
    // The guest is a member of Retention Analytics (CC-4111); CC-4121 is Fraud Science's, in another department. A
    // person's own dry run is decided by the step, with their credentials (the preview's is decided by the preview).
    const run = (user: string, costCenter: string) =>
      request(server)
        .post('/api/scaffolder/v2/dry-run')
        .set('Authorization', mockCredentials.user.header(user))
        .send({
          template: loadTemplate('dbt-analytics'),
          values: {
            ...SAMPLE_ANSWERS['dbt-analytics'],
            owner: 'group:default/retention-analytics',
            costCenter,
          },
          secrets: {},
          directoryContents: templateDirectoryContents('dbt-analytics'),
        });
    const refused = await run('user:default/guest', 'CC-4121');
    expect({
      status: refused.status,
      message: refused.body.error?.message,
    }).toEqual({
      status: 403,
      message:
        'user:default/guest may not charge cost center CC-4121: a project is billed to the cost center of one of your ' +
        'own teams or the teams below them. You may charge CC-4111 (Retention Analytics); leave the cost center empty ' +
        "to charge the owning team's. Only a platform admin (Platform Admins, platform-admins@meridian-mutual.example) " +
        "can charge another cost center: ask them to create the project for CC-4121, or to change your team's " +
        'forge.io/cost-center in the catalog.',
    });
    // The team's own cost center, entered, goes through to the rendered catalog-info.yaml.
    const allowed = await run('user:default/guest', 'CC-4111');
    expect(allowed.status).toBe(200);
    const catalogInfo = (
      allowed.body.directoryContents as Array<{
        path: string;
        base64Content: string;
      }>
    ).find(f => f.path === 'catalog-info.yaml');
    expect(
      Buffer.from(catalogInfo!.base64Content, 'base64').toString('utf8'),
    ).toContain('forge.io/cost-center: CC-4111');
  });

  it("stops on the review page when a member enters another department's cost center (issue 11)", async () => {
    const refused = await preview({
      ...SAMPLE_ANSWERS['ml-training-pipeline'],
      costCenter: 'CC-4121',
    });
    expect(refused.status).toBe(200);
    expect(refused.body.stoppedBy).toEqual({
      step: 'forge:cost:estimate',
      message: expect.stringContaining(
        'forge:cost:estimate: user:default/guest may not charge cost center CC-4121: a project is billed to the cost ' +
          'center of one of your own teams or the teams below them. You may charge CC-4111 (Retention Analytics)',
      ),
    });
    const own = await preview({
      ...SAMPLE_ANSWERS['ml-training-pipeline'],
      costCenter: 'CC-4111',
    });
    expect(own.body.stoppedBy).toBeUndefined();
    expect(own.body.preview).toMatchObject({ decision: 'passed' });
    // A platform admin may charge any cost center.
    const admin = await preview(
      { ...SAMPLE_ANSWERS['ml-training-pipeline'], costCenter: 'CC-4121' },
      undefined,
      'user:default/noah.kim',
    );
    expect(admin.body.stoppedBy).toBeUndefined();
  });

  it('previews Forge blueprints only, for people who may run blueprints', async () => {
    const unknown = await preview({}, 'template:default/nope');
    expect(unknown.status).toBe(404);
    const anonymous = await request(server)
      .post('/api/scaffolder/forge/preview')
      .set('Authorization', mockCredentials.none.header())
      .send({ templateRef: 'x', values: {} });
    expect(anonymous.status).toBe(401);
  });
});
