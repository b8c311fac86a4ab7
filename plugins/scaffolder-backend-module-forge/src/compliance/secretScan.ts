import { lintSource } from '@secretlint/core';
import { creator as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import path from 'node:path';
import { WorkspaceFile } from './workspaceFiles';

/** The version of a package this module depends on, read from its package.json (provenance of the evidence). */
export function packageVersion(name: string): string {
  try {
    return require(`${name}/package.json`).version as string;
  } catch {
    return 'unknown';
  }
}

/** One finding, without the secret itself: evidence must never repeat what it found. */
export interface SecretFinding {
  file: string;
  line: number;
  rule: string;
}

export interface SecretScanResult {
  /** What the `secret-scan` fact's rule reads: the number of findings. */
  leaks: number;
  filesScanned: number;
  findings: SecretFinding[];
  tool: { name: string; version: string; rules: string };
}

/**
 * Scans files for credentials with secretlint and its recommended rule preset (AWS, GCP, GitHub, Slack, npm tokens,
 * private keys, basic auth in URLs and more), the scanner the secretlint project maintains; found values are masked
 * and never leave this function.
 */
export async function scanForSecrets(
  files: WorkspaceFile[],
): Promise<SecretScanResult> {
  const config = {
    rules: [
      {
        id: '@secretlint/secretlint-rule-preset-recommend',
        rule: recommendedRules,
      },
    ],
  } as Parameters<typeof lintSource>[0]['options']['config'];
  const findings: SecretFinding[] = [];
  for (const file of files) {
    const result = await lintSource({
      source: {
        filePath: file.path,
        content: file.content,
        ext: path.extname(file.path),
        contentType: 'text',
      },
      options: { config, maskSecrets: true, noPhysicFilePath: true },
    });
    for (const message of result.messages) {
      findings.push({
        file: file.path,
        line: message.loc.start.line,
        rule: message.ruleId,
      });
    }
  }
  return {
    leaks: findings.length,
    filesScanned: files.length,
    findings,
    tool: {
      name: 'secretlint',
      version: packageVersion('@secretlint/core'),
      rules: `@secretlint/secretlint-rule-preset-recommend@${packageVersion(
        '@secretlint/secretlint-rule-preset-recommend',
      )}`,
    },
  };
}
