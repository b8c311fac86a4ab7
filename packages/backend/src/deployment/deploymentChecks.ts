import type { Copy, Dockerfile, Instruction } from 'dockerfile-ast';

/** The `${NAME}` environment variables a configuration text substitutes. */
export function environmentVariablesOf(configText: string): string[] {
  return [
    ...new Set(
      [...configText.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map(m => m[1]),
    ),
  ].sort();
}

const COMPILERS = /(^|\s)(g\+\+|gcc|build-essential|make)(\s|$)/m;

function args(instruction: Instruction): string {
  return instruction.getArgumentsContent() ?? '';
}

/** The stage a COPY --from=<stage> copies from (flags are not part of the arguments). */
function copiedFrom(instruction: Instruction): string | undefined {
  const flags = (instruction as Copy).getFlags?.() ?? [];
  return flags.find(f => f.getName() === 'from')?.getValue() ?? undefined;
}

/** Whether `.dockerignore` keeps a path out of the build context (the patterns the repository's file uses). */
function isIgnored(file: string, patterns: string[]): boolean {
  return patterns.some(pattern => {
    const p = pattern.replace(/\/$/, '');
    if (p.startsWith('**/')) {
      const name = p.slice(3);
      return file.split('/').some(part => part === name);
    }
    return file === p || file.startsWith(`${p}/`);
  });
}

/**
 * What keeps a Dockerfile from being the image operators expect: the Backstage multi-stage build, the final image
 * not running as root, holding production dependencies only and no compiler, mkdocs for TechDocs, and every file it
 * copies present in the repository and not left out of the build context.
 */
export function dockerfileProblems(
  dockerfile: Dockerfile,
  repository: { exists: (file: string) => boolean; ignored: string[] },
): string[] {
  const problems: string[] = [];
  const froms = dockerfile.getFROMs();
  if (froms.length < 2) problems.push('not a multi-stage build');

  // The base image, with ARG defaults resolved: a pinned tag, never `latest`.
  const defaults = new Map(
    dockerfile
      .getInitialARGs()
      .map(a => [a.getProperty()?.getName(), a.getProperty()?.getValue()]),
  );
  for (const from of froms) {
    const image = (from.getImage() ?? '').replace(
      /\$\{(\w+)\}/g,
      (_, name) => defaults.get(name) ?? '',
    );
    const stages = froms
      .slice(0, froms.indexOf(from))
      .map(f => f.getBuildStage());
    if (!stages.includes(image) && !/:[\w.-]+$/.test(image)) {
      problems.push(`base image ${image || '(none)'} has no pinned tag`);
    } else if (image.endsWith(':latest')) {
      problems.push(`base image ${image} is not pinned`);
    }
  }

  // Instructions per stage, the final one last.
  const all = dockerfile.getInstructions();
  const stages: Instruction[][] = [];
  for (const instruction of all) {
    if (instruction.getKeyword() === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  const final = stages.at(-1) ?? [];
  const stageNames = froms.map(f => f.getBuildStage());
  const runs = (stage: Instruction[]) =>
    stage.filter(i => i.getKeyword() === 'RUN').map(args);

  const users = final.filter(i => i.getKeyword() === 'USER').map(args);
  if (users.length === 0 || /^(root|0)(:|$)/.test(users.at(-1)!)) {
    problems.push('the final image runs as root: end it with USER node');
  }
  if (runs(final).some(r => COMPILERS.test(r))) {
    problems.push(
      'the final image installs a compiler; build native modules in an earlier stage',
    );
  }
  if (!runs(final).some(r => /\bmkdocs\b/.test(r))) {
    problems.push(
      'the final image has no mkdocs, which TechDocs needs with techdocs.generator.runIn: local',
    );
  }
  if (
    !final.some(
      i =>
        i.getKeyword() === 'ENV' && /\bNODE_ENV[= ]"?production/.test(args(i)),
    )
  ) {
    problems.push('the final image does not set NODE_ENV=production');
  }
  if (
    !final.some(i => i.getKeyword() === 'EXPOSE' && /\b7007\b/.test(args(i)))
  ) {
    problems.push('the final image does not expose the backend port 7007');
  }
  const cmd = final.find(i => i.getKeyword() === 'CMD');
  if (!cmd || !args(cmd).trim().startsWith('[')) {
    problems.push('CMD is not in exec form, so signals would not reach node');
  } else if (!args(cmd).includes('app-config.production.yaml')) {
    problems.push('CMD does not load app-config.production.yaml');
  }

  // Production dependencies only: the final image's node_modules come from a stage that installed with
  // --production, and nothing installs dependencies in the final stage itself.
  const copiesFrom = (stage: Instruction[]) =>
    stage
      .filter(i => i.getKeyword() === 'COPY')
      .map(copiedFrom)
      .filter((s): s is string => !!s);
  const productionStages = stages
    .map((stage, index) => ({ stage, name: stageNames[index] }))
    .filter(({ stage }) =>
      runs(stage).some(r => /yarn workspaces focus[^&]*--production/.test(r)),
    )
    .map(s => s.name);
  // Yarn installs nothing without the root package.json (it names the workspaces) and the lockfile beside it.
  stages.forEach((stage, index) => {
    if (!productionStages.includes(stageNames[index])) return;
    const copied = stage
      .filter(i => i.getKeyword() === 'COPY')
      .map(args)
      .join(' ');
    for (const file of ['package.json', 'yarn.lock']) {
      if (
        !new RegExp(`(^|[\\s/])${file.replace('.', '\\.')}(\\s|$)`).test(copied)
      ) {
        problems.push(
          `the production install (stage ${stageNames[index]}) has no root ${file}: copy it beside the skeleton`,
        );
      }
    }
  });
  if (
    !copiesFrom(final).some(s => productionStages.includes(s)) ||
    runs(final).some(r => /\byarn (install|workspaces)\b/.test(r))
  ) {
    problems.push(
      'the final image does not hold production dependencies only (yarn workspaces focus --all --production in an earlier stage)',
    );
  }

  // Every COPY names an earlier stage or a file of the repository that the build context includes.
  stages.forEach((stage, index) => {
    for (const copy of stage.filter(i => i.getKeyword() === 'COPY')) {
      const from = copiedFrom(copy);
      if (from) {
        if (!stageNames.slice(0, index).includes(from)) {
          problems.push(`COPY --from=${from} names no earlier stage`);
        }
        continue;
      }
      const parts = args(copy)
        .split(/\s+/)
        .filter(p => p && !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) {
        const file = source.replace(/^\.\//, '').replace(/\/$/, '');
        if (!repository.exists(file)) {
          problems.push(`COPY source ${file} does not exist in the repository`);
        } else if (isIgnored(file, repository.ignored)) {
          problems.push(`COPY source ${file} is excluded by .dockerignore`);
        }
      }
    }
  });
  return problems;
}

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PRIVATE|_KEY)$/;
const HEALTH = {
  livenessProbe: '/.backstage/health/v1/liveness',
  readinessProbe: '/.backstage/health/v1/readiness',
} as const;

/**
 * What keeps the manifests from running Forge the way docs/operations.md describes: at least two replicas of every
 * Deployment, liveness and readiness on Backstage's health endpoints, a non-root pod, every variable the
 * configuration reads set, secrets only from Secrets, and references (ConfigMaps, Secrets, claims, Service and
 * disruption budget selectors) that resolve.
 */
export function manifestProblems(
  objects: K8sObject[],
  configVariables: string[],
): string[] {
  const problems: string[] = [];
  const named = (kind: string, name: string) =>
    objects.find(o => o.kind === kind && o.metadata.name === name);
  const matches = (selector: Record<string, string>, labels = {}) =>
    Object.entries(selector).every(
      ([k, v]) => (labels as Record<string, string>)[k] === v,
    );

  const deployments = objects.filter(o => o.kind === 'Deployment');
  if (deployments.length === 0) problems.push('no Deployment');
  for (const deployment of deployments) {
    const name = `Deployment ${deployment.metadata.name}`;
    const pod = deployment.spec.template;
    if (!((deployment.spec.replicas ?? 1) >= 2)) {
      problems.push(
        `${name} runs ${
          deployment.spec.replicas ?? 1
        } replica(s); run at least 2 replicas`,
      );
    }
    if (pod.spec.securityContext?.runAsNonRoot !== true) {
      problems.push(`${name} does not require runAsNonRoot`);
    }
    const provided = new Set<string>();
    for (const container of pod.spec.containers) {
      const ports = new Set(
        (container.ports ?? []).flatMap((p: any) => [p.name, p.containerPort]),
      );
      for (const [probe, path] of Object.entries(HEALTH)) {
        const get = container[probe]?.httpGet;
        if (get?.path !== path) {
          problems.push(
            `${name}: container ${container.name} has no ${probe.replace(
              'Probe',
              '',
            )} probe on ${path}`,
          );
        } else if (!ports.has(get.port)) {
          problems.push(
            `${name}: the ${probe} uses an undeclared port ${get.port}`,
          );
        }
      }
      for (const env of container.env ?? []) provided.add(env.name);
      for (const source of container.envFrom ?? []) {
        const ref = source.configMapRef ?? source.secretRef;
        const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
        const object = named(kind, ref.name);
        if (!object) {
          problems.push(`${name} reads the missing ${kind} ${ref.name}`);
          continue;
        }
        for (const [key, value] of Object.entries({
          ...object.data,
          ...object.stringData,
        })) {
          if (String(value).includes('\n')) continue; // a file, not a variable
          provided.add(key);
          if (kind === 'ConfigMap' && SECRET_NAME.test(key)) {
            problems.push(
              `${key} looks like a secret but is in ConfigMap ${ref.name}; put it in a Secret`,
            );
          }
        }
      }
    }
    for (const variable of configVariables) {
      if (!provided.has(variable)) {
        problems.push(
          `${variable} is read by the configuration but ${name} does not set it`,
        );
      }
    }
    for (const volume of pod.spec.volumes ?? []) {
      if (
        volume.persistentVolumeClaim &&
        !named('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName)
      ) {
        problems.push(
          `${name} mounts a missing claim ${volume.persistentVolumeClaim.claimName}`,
        );
      }
      if (volume.configMap && !named('ConfigMap', volume.configMap.name)) {
        problems.push(
          `${name} mounts a missing ConfigMap ${volume.configMap.name}`,
        );
      }
    }
    const labels = pod.metadata?.labels;
    if (
      !objects.some(
        o => o.kind === 'Service' && matches(o.spec.selector ?? {}, labels),
      )
    ) {
      problems.push(`no Service selects the pods of ${name}`);
    }
    if (
      !objects.some(
        o =>
          o.kind === 'PodDisruptionBudget' &&
          matches(o.spec.selector?.matchLabels ?? {}, labels),
      )
    ) {
      problems.push(
        `no PodDisruptionBudget keeps a replica of ${name} serving`,
      );
    }
  }
  return problems;
}
