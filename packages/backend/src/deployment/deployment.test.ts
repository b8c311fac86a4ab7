/*
 * The deployment artefacts, checked with real tools where no container engine runs: the Dockerfile with the Docker
 * language server's checker (dockerfile-utils) and its syntax tree (dockerfile-ast), the Kubernetes manifests
 * against the Kubernetes schemas (kubernetes-models), and both against what Forge itself needs (health endpoints,
 * every environment variable app-config.production.yaml reads, secrets only from the Secret).
 */
import fs from 'node:fs';
import path from 'node:path';
import type NodeModule from 'node:module';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import {
  dockerfileProblems,
  environmentVariablesOf,
  manifestProblems,
} from './deploymentChecks';

const ROOT = path.resolve(resolvePackagePath('backend'), '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

// kubernetes-models ships ES modules only; Node 22's own require loads them synchronously (Jest's cannot).
const nodeRequire = (
  process.getBuiltinModule('node:module') as typeof NodeModule
).createRequire(path.join(ROOT, 'packages/backend/package.json'));
const models = nodeRequire
  .resolve('kubernetes-models/package.json')
  .replace(/package\.json$/, '');
function modelOf(apiVersion: string, kind: string) {
  // 'v1' for the core group, 'apps/v1', 'policy/v1' and so on for the others.
  const module = nodeRequire(`${models}${apiVersion}/index.js`);
  const Model = module[kind];
  if (!Model) throw new Error(`No schema for ${apiVersion} ${kind}`);
  return Model;
}

describe('packages/backend/Dockerfile', () => {
  const content = read('packages/backend/Dockerfile');

  it('has no problem the Docker language server reports', () => {
    expect(
      validateDockerfile(content).map(
        d => `line ${d.range.start.line + 1}: ${d.message}`,
      ),
    ).toEqual([]);
  });

  it('is a multi-stage, non-root, production-only build of what is in the repository', () => {
    const problems = dockerfileProblems(DockerfileParser.parse(content), {
      exists: p => fs.existsSync(path.join(ROOT, p)),
      ignored: read('.dockerignore')
        .split('\n')
        .map(l => l.trim())
        .filter(l => l && !l.startsWith('#')),
    });
    expect(problems).toEqual([]);
  });

  it('reports what the rules are there for', () => {
    expect(
      validateDockerfile(`${content}\nCOPY\nWORKDIR app\n`).map(d => d.message),
    ).toHaveLength(2);
    const broken = content
      .replace(/^USER node$/gm, 'USER root')
      .replace('yarn workspaces focus --all --production', 'yarn install')
      .replace(
        'COPY --chown=node:node policies ./policies',
        'COPY --chown=node:node policy ./policies',
      )
      .replace(/ mkdocs mkdocs-material/, ' g++');
    const problems = dockerfileProblems(DockerfileParser.parse(broken), {
      exists: p => fs.existsSync(path.join(ROOT, p)),
      ignored: [],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/runs as root/),
        expect.stringMatching(/production dependencies/),
        expect.stringMatching(/COPY source policy does not exist/),
        expect.stringMatching(/mkdocs/),
        expect.stringMatching(/compiler/),
      ]),
    );
    // Without the root package.json, yarn workspaces focus installs nothing (and says nothing).
    const noRoot = content.replace(
      '/app/package.json /app/.yarnrc.yml',
      '/app/.yarnrc.yml',
    );
    expect(
      dockerfileProblems(DockerfileParser.parse(noRoot), {
        exists: p => fs.existsSync(path.join(ROOT, p)),
        ignored: [],
      }),
    ).toEqual([
      'the production install (stage production-deps) has no root package.json: copy it beside the skeleton',
    ]);
  });
});

describe('deploy/kubernetes', () => {
  const dir = 'deploy/kubernetes';
  const kustomization = parseYaml(read(`${dir}/kustomization.yaml`));
  const objects = (kustomization.resources as string[]).flatMap(file =>
    parseAllDocuments(read(`${dir}/${file}`)).map(doc => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]}`);
      return { file, object: doc.toJS() };
    }),
  );

  it('lists only files that exist, and every manifest there', () => {
    const manifests = fs
      .readdirSync(path.join(ROOT, dir))
      .filter(f => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
  });

  it('is valid against the Kubernetes schemas', () => {
    const invalid = objects.flatMap(({ file, object }) => {
      try {
        new (modelOf(object.apiVersion, object.kind))(object).validate();
        return [];
      } catch (e) {
        return [`${file} ${object.kind}/${object.metadata?.name}: ${e}`];
      }
    });
    expect(invalid).toEqual([]);
  });

  it('runs two replicas with Backstage health probes, secrets from the Secret and every variable Forge reads', () => {
    const config = [
      read('app-config.production.yaml'),
      ...objects
        .filter(o => o.object.kind === 'ConfigMap')
        .flatMap(o =>
          Object.values<string>(o.object.data ?? {}).filter(v =>
            v.includes('\n'),
          ),
        ),
    ].join('\n');
    expect(
      manifestProblems(
        objects.map(o => o.object),
        environmentVariablesOf(config),
      ),
    ).toEqual([]);
  });

  it('reports a manifest the schemas refuse', () => {
    const deployment = objects.find(
      o => o.object.kind === 'Deployment',
    )!.object;
    const broken = {
      ...deployment,
      spec: { ...deployment.spec, replicas: 'two' },
    };
    expect(() =>
      new (modelOf(broken.apiVersion, broken.kind))(broken).validate(),
    ).toThrow(/replicas must be integer/);
  });

  it('reports a missing probe, a secret in a ConfigMap and a variable nobody sets', () => {
    const objectsCopy = JSON.parse(JSON.stringify(objects.map(o => o.object)));
    const deployment = objectsCopy.find((o: any) => o.kind === 'Deployment');
    delete deployment.spec.template.spec.containers[0].livenessProbe;
    deployment.spec.replicas = 1;
    const configMap = objectsCopy.find((o: any) => o.kind === 'ConfigMap');
    configMap.data.BACKEND_SECRET = 'in plain sight';
    expect(
      manifestProblems(objectsCopy, [
        ...environmentVariablesOf(read('app-config.production.yaml')),
        'FORGE_SOMETHING_NEW',
      ]),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/liveness/),
        expect.stringMatching(/2 replicas/),
        expect.stringMatching(/BACKEND_SECRET .* ConfigMap/),
        expect.stringMatching(/FORGE_SOMETHING_NEW/),
      ]),
    );
  });
});
