import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import { parse as parseToml } from 'smol-toml';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { packageVersion } from './secretScan';
import { WorkspaceFile } from './workspaceFiles';

/** A dependency declared in a manifest of the project. */
export interface DeclaredDependency {
  ecosystem: 'pypi' | 'docker';
  name: string;
  /** Set when the manifest pins one version (`==1.2.3`, an image tag); otherwise `requirement` says what it allows. */
  version?: string;
  requirement?: string;
  /** Where it is declared, e.g. `pyproject.toml` or `pyproject.toml [dev]`. */
  declaredIn: string;
}

/** PEP 503: names compare lower-case with runs of `-`, `_` and `.` as one dash. */
function normalisePythonName(name: string) {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * One PEP 508 requirement (`name[extras] specifiers ; markers`); undefined for what is not a requirement (options
 * such as `-r other.txt`, URLs). Written here because no maintained JavaScript PEP 508 parser is on the registry;
 * it reads only the name and the version specifiers, which is all an inventory needs.
 */
export function parsePythonRequirement(
  line: string,
  declaredIn: string,
): DeclaredDependency | undefined {
  const text = line.replace(/\s+#.*$/, '').trim();
  const match =
    /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(\(?[<>=!~][^;]*?\)?)?\s*(?:;.*)?$/.exec(
      text,
    );
  if (!match) return undefined;
  const name = normalisePythonName(match[1]);
  const requirement = match[2]?.replace(/[()\s]/g, '') || undefined;
  const pinned = requirement && /^===?([A-Za-z0-9.+!-]+)$/.exec(requirement);
  return pinned
    ? { ecosystem: 'pypi', name, version: pinned[1], declaredIn }
    : { ecosystem: 'pypi', name, requirement, declaredIn };
}

/** The dependencies a generated project declares: requirements files, pyproject.toml and Dockerfile base images. */
export function declaredDependencies(
  files: WorkspaceFile[],
): DeclaredDependency[] {
  const found: DeclaredDependency[] = [];
  for (const file of files) {
    const base = path.posix.basename(file.path);
    if (/^requirements[\w.-]*\.txt$/.test(base)) {
      for (const line of file.content.split('\n')) {
        if (!line.trim() || line.trim().startsWith('#')) continue;
        const dep = parsePythonRequirement(line, file.path);
        if (dep) found.push(dep);
      }
    } else if (base === 'pyproject.toml') {
      const project = (parseToml(file.content) as any).project ?? {};
      for (const requirement of project.dependencies ?? []) {
        const dep = parsePythonRequirement(String(requirement), file.path);
        if (dep) found.push(dep);
      }
      for (const [extra, requirements] of Object.entries(
        (project['optional-dependencies'] ?? {}) as Record<string, unknown[]>,
      )) {
        for (const requirement of requirements ?? []) {
          const dep = parsePythonRequirement(
            String(requirement),
            `${file.path} [${extra}]`,
          );
          if (dep) found.push(dep);
        }
      }
    } else if (base === 'Dockerfile') {
      for (const line of file.content.split('\n')) {
        const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)/i.exec(line.trim());
        if (!from || from[1].includes('$')) continue;
        const [image, tag] = from[1].split(/:(?=[^/]+$)/);
        found.push({
          ecosystem: 'docker',
          name: image,
          version: tag ?? 'latest',
          declaredIn: file.path,
        });
      }
    }
  }
  return found;
}

export interface Sbom {
  /** The CycloneDX 1.6 JSON document. */
  json: string;
  sha256: string;
  serialNumber: string;
  dependencies: DeclaredDependency[];
  tool: { name: string; version: string };
}

function purlOf(dep: DeclaredDependency): PackageURL {
  if (dep.ecosystem === 'docker') {
    const slash = dep.name.lastIndexOf('/');
    return new PackageURL(
      'docker',
      slash >= 0 ? dep.name.slice(0, slash) : undefined,
      slash >= 0 ? dep.name.slice(slash + 1) : dep.name,
      dep.version,
      undefined,
      undefined,
    );
  }
  return new PackageURL(
    'pypi',
    undefined,
    dep.name,
    dep.version,
    undefined,
    undefined,
  );
}

/**
 * A CycloneDX 1.6 SBOM of what the project declares, built with the CycloneDX project's own JavaScript library. A
 * dependency that is not pinned is listed without a version and with its requirement as a property
 * (`forge:requirement`): the inventory says what is allowed, not what a later install will resolve.
 */
export function buildSbom(options: {
  project: { name: string; description?: string };
  dependencies: DeclaredDependency[];
  serialNumber: string;
  timestamp: Date;
}): Sbom {
  const { project, dependencies } = options;
  const bom = new Models.Bom({ serialNumber: options.serialNumber });
  const tool = {
    name: '@cyclonedx/cyclonedx-library',
    version: packageVersion('@cyclonedx/cyclonedx-library'),
  };
  bom.metadata.timestamp = options.timestamp;
  bom.metadata.component = new Models.Component(
    Enums.ComponentType.Application,
    project.name,
    { description: project.description, bomRef: project.name },
  );
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Library, tool.name, {
      version: tool.version,
      group: '@cyclonedx',
    }),
  );
  const seen = new Set<string>();
  for (const dep of dependencies) {
    const key = `${dep.ecosystem}:${dep.name}@${dep.version ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const properties = new Models.PropertyRepository([
      new Models.Property('forge:declared-in', dep.declaredIn),
      ...(dep.requirement
        ? [new Models.Property('forge:requirement', dep.requirement)]
        : []),
    ]);
    bom.components.add(
      new Models.Component(
        dep.ecosystem === 'docker'
          ? Enums.ComponentType.Container
          : Enums.ComponentType.Library,
        dep.name,
        {
          bomRef: key,
          version: dep.version,
          purl: purlOf(dep).toString(),
          properties,
        },
      ),
    );
  }
  const serializer = new Serialize.JsonSerializer(
    new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6),
  );
  const json = serializer.serialize(bom, { sortLists: true });
  return {
    json,
    sha256: createHash('sha256').update(json).digest('hex'),
    serialNumber: options.serialNumber,
    dependencies,
    tool,
  };
}
