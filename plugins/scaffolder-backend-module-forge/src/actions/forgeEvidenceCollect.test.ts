import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionContext, outputOf } from '../__testUtils__';
import { parsePythonRequirement } from '../compliance/sbom';
import { createForgeEvidenceCollectAction } from './forgeEvidenceCollect';

const now = new Date('2026-12-05T10:00:00Z');
const action = createForgeEvidenceCollectAction({ now: () => now });

// Credentials shaped like real ones, assembled at run time so this file itself holds none.
const FAKE_GITHUB_TOKEN = ['ghp_', 'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'].join(
  '',
);
const FAKE_PASSWORD = ['s3cr', 'etPassw0rd'].join('');

describe('forge:evidence:collect', () => {
  let workspacePath: string;
  beforeEach(() => {
    workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-evidence-'));
    const write = (file: string, content: string) => {
      fs.mkdirSync(path.dirname(path.join(workspacePath, file)), {
        recursive: true,
      });
      fs.writeFileSync(path.join(workspacePath, file), content);
    };
    write(
      'catalog-info.yaml',
      'kind: Component\nmetadata:\n  name: churn-model\n',
    );
    write(
      'requirements.txt',
      '# pinned\nnumpy==2.1.3\npsycopg[binary]==3.2.3\ndbt-core>=1.8,<1.10\n-r other.txt\n',
    );
    write(
      'pyproject.toml',
      '[project]\nname = "churn-model"\ndependencies = ["mlflow>=2.16,<3", "PyYAML>=6"]\n' +
        '[project.optional-dependencies]\ndev = ["pytest>=8"]\n',
    );
    write(
      'Dockerfile',
      'FROM python:3.11-slim\nRUN pip install -r requirements.txt\n',
    );
    write('src/model.py', 'print("hello")\n');
  });
  afterEach(() => fs.rmSync(workspacePath, { recursive: true, force: true }));

  it('scans the generated files for secrets and inventories their dependencies, with provenance', async () => {
    const ctx = actionContext({
      input: {
        name: 'churn-model',
        description: 'Predicts lapses at renewal.',
      },
      workspacePath,
      templateInfo: { entityRef: 'template:default/ml-training-pipeline' },
    });
    await action.handler(ctx as any);
    const facts = outputOf(ctx, 'facts');
    expect(facts.map((f: { name: string }) => f.name)).toEqual([
      'secret-scan',
      'sbom',
    ]);

    const [secrets, sbom] = facts;
    expect(secrets).toMatchObject({
      collectedAt: now.toISOString(),
      source: expect.stringMatching(
        /^forge:evidence:collect \(secretlint \d+\.\d+\.\d+\)$/,
      ),
      data: {
        leaks: 0,
        filesScanned: 5,
        findings: [],
        rules: expect.stringMatching(
          /^@secretlint\/secretlint-rule-preset-recommend@\d/,
        ),
        provenance: {
          tool: 'secretlint',
          version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
          generatedAt: now.toISOString(),
          template: 'template:default/ml-training-pipeline',
        },
      },
    });

    expect(sbom.data).toMatchObject({
      format: 'CycloneDX',
      specVersion: '1.6',
      components: 7,
      pinned: 3,
      manifests: [
        'Dockerfile',
        'pyproject.toml',
        'pyproject.toml [dev]',
        'requirements.txt',
      ],
      provenance: {
        tool: '@cyclonedx/cyclonedx-library',
        generatedAt: now.toISOString(),
      },
    });
    const bom = sbom.data.bom;
    expect(bom).toMatchObject({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      serialNumber: sbom.data.serialNumber,
    });
    expect(bom.metadata.component.name).toBe('churn-model');
    const purls = bom.components.map((c: { purl: string }) => c.purl).sort();
    expect(purls).toEqual([
      'pkg:docker/python@3.11-slim',
      'pkg:pypi/dbt-core',
      'pkg:pypi/mlflow',
      'pkg:pypi/numpy@2.1.3',
      'pkg:pypi/psycopg@3.2.3',
      'pkg:pypi/pytest',
      'pkg:pypi/pyyaml',
    ]);
    const dbt = bom.components.find(
      (c: { name: string }) => c.name === 'dbt-core',
    );
    expect(dbt.properties).toContainEqual({
      name: 'forge:requirement',
      value: '>=1.8,<1.10',
    });
    expect(outputOf(ctx, 'summary')).toBe(
      'Secret scan of 5 files: 0 found. SBOM: 7 components (3 pinned) from 4 manifests.',
    );
  });

  it('refuses a project that would contain a credential, naming where but never what', async () => {
    fs.writeFileSync(
      path.join(workspacePath, 'src/settings.py'),
      `TOKEN = "${FAKE_GITHUB_TOKEN}"\nDATABASE = "postgres://admin:${FAKE_PASSWORD}@db.example.com:5432/claims"\n`,
    );
    const ctx = actionContext({
      input: { name: 'churn-model' },
      workspacePath,
    });
    const error = await action.handler(ctx as any).then(
      () => undefined,
      e => e,
    );
    expect(error?.name).toBe('InputError');
    expect(error.message).toMatch(
      /would contain 2 credential\(s\): src\/settings\.py line 1 \(@secretlint\/secretlint-rule-github\), src\/settings\.py line 2 \(@secretlint\/secretlint-rule-database-connection-string\)/,
    );
    expect(error.message).toContain('nothing was published');
    expect(error.message).not.toContain(FAKE_GITHUB_TOKEN);
    expect(error.message).not.toContain(FAKE_PASSWORD);
    expect(outputOf(ctx, 'facts')).toBeUndefined();
  });

  it('reads only inside the workspace', async () => {
    const outside = actionContext({
      input: { name: 'churn-model', path: '../..' },
      workspacePath,
    });
    await expect(action.handler(outside as any)).rejects.toThrow(
      /points outside the task workspace/,
    );
    const link = path.join(workspacePath, 'link');
    fs.symlinkSync(os.tmpdir(), link);
    const linked = actionContext({
      input: { name: 'churn-model', path: 'link' },
      workspacePath,
    });
    await expect(action.handler(linked as any)).rejects.toThrow(
      /symbolic link/,
    );
    const badName = actionContext({
      input: { name: 'Churn Model' },
      workspacePath,
    });
    await expect(action.handler(badName as any)).rejects.toThrow(
      /forge:evidence:collect: name: name must be lowercase/,
    );
  });
});

describe('parsePythonRequirement', () => {
  it.each([
    ['numpy==2.1.3', { name: 'numpy', version: '2.1.3' }],
    [
      'Scikit_Learn >= 1.5, <2',
      { name: 'scikit-learn', requirement: '>=1.5,<2' },
    ],
    [
      'psycopg[binary]==3.2.3 ; python_version >= "3.10"',
      { name: 'psycopg', version: '3.2.3' },
    ],
    ['kserve (>=0.13,<0.15)', { name: 'kserve', requirement: '>=0.13,<0.15' }],
    ['jupyterlab', { name: 'jupyterlab', requirement: undefined }],
  ])('reads %s', (line, expected) => {
    expect(parsePythonRequirement(line, 'requirements.txt')).toMatchObject({
      ecosystem: 'pypi',
      ...expected,
    });
  });

  it.each([
    '-r other.txt',
    'git+https://example.com/x.git',
    '--index-url https://pypi.example',
  ])('leaves %s out', line => {
    expect(parsePythonRequirement(line, 'requirements.txt')).toBeUndefined();
  });
});
