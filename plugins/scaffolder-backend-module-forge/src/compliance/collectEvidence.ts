import { Fact } from '@internal/plugin-compliance-common';
import { randomUUID } from 'node:crypto';
import { buildSbom, declaredDependencies } from './sbom';
import { scanForSecrets, SecretFinding } from './secretScan';
import { WorkspaceFile } from './workspaceFiles';

/** Who produced a piece of evidence, with what and when: stored with every fact the blueprint pushes. */
export interface EvidenceProvenance {
  tool: string;
  version: string;
  generatedAt: string;
  taskId?: string;
  template?: string;
  scope: string;
}

export interface CollectedEvidence {
  facts: Fact[];
  findings: SecretFinding[];
  summary: string;
}

/** The SBOM goes into the fact whole while it fits the compliance backend's 64 kB limit for a fact's data. */
const MAX_EMBEDDED_SBOM = 48_000;

/**
 * The first evidence of a project, from what the blueprint generated, before it is published: a secret scan of every
 * file (`secret-scan`, the fact the check security.no-leaked-secrets reads) and a CycloneDX SBOM of the dependencies
 * it declares (`sbom`). Each fact carries its provenance: tool and version, when, the scaffolder task and template.
 */
export async function collectEvidence(options: {
  files: WorkspaceFile[];
  project: { name: string; description?: string };
  taskId?: string;
  template?: string;
  now: Date;
}): Promise<CollectedEvidence> {
  const { files, project, now } = options;
  const generatedAt = now.toISOString();
  const provenance = (tool: string, version: string): EvidenceProvenance => ({
    tool,
    version,
    generatedAt,
    ...(options.taskId ? { taskId: options.taskId } : {}),
    ...(options.template ? { template: options.template } : {}),
    scope: 'the files the blueprint generated, before they were published',
  });

  const secrets = await scanForSecrets(files);
  const sbom = buildSbom({
    project,
    dependencies: declaredDependencies(files),
    serialNumber: `urn:uuid:${randomUUID()}`,
    timestamp: now,
  });
  const pinned = sbom.dependencies.filter(d => d.version).length;

  const facts: Fact[] = [
    {
      name: 'secret-scan',
      collectedAt: generatedAt,
      source: `forge:evidence:collect (${secrets.tool.name} ${secrets.tool.version})`,
      data: {
        leaks: secrets.leaks,
        filesScanned: secrets.filesScanned,
        rules: secrets.tool.rules,
        // Where, never what: the findings name file, line and rule.
        findings: secrets.findings.slice(0, 50),
        provenance: provenance(secrets.tool.name, secrets.tool.version),
      },
    },
    {
      name: 'sbom',
      collectedAt: generatedAt,
      source: `forge:evidence:collect (${sbom.tool.name} ${sbom.tool.version})`,
      data: {
        format: 'CycloneDX',
        specVersion: '1.6',
        serialNumber: sbom.serialNumber,
        sha256: sbom.sha256,
        components: new Set(
          sbom.dependencies.map(d => `${d.ecosystem}:${d.name}@${d.version}`),
        ).size,
        pinned,
        manifests: [...new Set(sbom.dependencies.map(d => d.declaredIn))],
        ...(sbom.json.length <= MAX_EMBEDDED_SBOM
          ? { bom: JSON.parse(sbom.json) }
          : {}),
        provenance: provenance(sbom.tool.name, sbom.tool.version),
      },
    },
  ];
  return {
    facts,
    findings: secrets.findings,
    summary:
      `Secret scan of ${secrets.filesScanned} files: ${secrets.leaks} found. ` +
      `SBOM: ${facts[1].data.components} components (${pinned} pinned) from ${
        (facts[1].data.manifests as string[]).length
      } manifests.`,
  };
}
