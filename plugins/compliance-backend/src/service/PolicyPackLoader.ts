import fs from 'node:fs/promises';
import path from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  parsePolicyPack,
  PolicyEvaluator,
  PolicyPack,
  PolicyPackError,
} from '@internal/plugin-compliance-common';
import { PolicyPackVersion } from '../database/ComplianceStore';
import { hashOf } from './hashing';

/** The packs in use, and what was wrong with the files that were refused. */
export interface LoadedPolicy {
  packs: PolicyPack[];
  evaluator: PolicyEvaluator;
  /** sha256 of each check's definition (rule, applicability, severity, level, controls) by check id. */
  ruleHashes: Map<string, string>;
  loadedAt: string;
}

export interface PolicyLoadStatus {
  directory: string;
  loadedAt?: string;
  packs: Array<{ name: string; version: string; file: string; checks: number }>;
  errors: Array<{ file: string; checkId?: string; problem: string }>;
}

/**
 * Loads policy packs from a folder. A pack that fails to parse is refused with its file, check and problem, and the
 * last good version of that pack stays in use: a typo in a pull request never switches compliance off.
 */
export class PolicyPackLoader {
  private lastGood = new Map<string, { pack: PolicyPack; file: string }>();
  private current?: LoadedPolicy;
  private status: PolicyLoadStatus;

  constructor(
    private readonly directory: string,
    private readonly logger: LoggerService,
    private readonly options: {
      /** Told the packs in use after every load, e.g. to record their versions in the history. */
      onLoaded?: (packs: PolicyPackVersion[]) => Promise<unknown>;
    } = {},
  ) {
    this.status = { directory, packs: [], errors: [] };
  }

  get policy(): LoadedPolicy {
    if (!this.current) throw new Error('policy packs have not been loaded yet');
    return this.current;
  }

  get loadStatus(): PolicyLoadStatus {
    return this.status;
  }

  async reload(): Promise<PolicyLoadStatus> {
    let files: string[];
    try {
      files = (await fs.readdir(this.directory))
        .filter(f => /\.ya?ml$/.test(f))
        .sort();
    } catch (e) {
      throw new Error(
        `cannot read the policy pack folder ${this.directory}: ${
          (e as Error).message
        }`,
      );
    }
    const errors: PolicyLoadStatus['errors'] = [];
    const loaded = new Map<string, { pack: PolicyPack; file: string }>();
    for (const file of files) {
      const text = await fs.readFile(path.join(this.directory, file), 'utf8');
      try {
        const pack = parsePolicyPack(text, file);
        if (loaded.has(pack.name)) {
          throw new PolicyPackError(
            file,
            undefined,
            `pack name '${pack.name}' is already used by ${
              loaded.get(pack.name)!.file
            }`,
          );
        }
        loaded.set(pack.name, { pack, file });
      } catch (e) {
        const err = e as PolicyPackError;
        errors.push({
          file,
          checkId: err.checkId,
          problem: err.problem ?? err.message,
        });
        this.logger.error(
          `Refused policy pack ${err.message}; keeping the last good version of it`,
        );
        const previous = [...this.lastGood.values()].find(p => p.file === file);
        if (previous && !loaded.has(previous.pack.name))
          loaded.set(previous.pack.name, previous);
      }
    }
    // Check ids must be unique across packs: results are stored per entity and check.
    const owners = new Map<string, string>();
    for (const { pack, file } of [...loaded.values()]) {
      const clash = pack.checks.find(c => owners.has(c.id));
      if (clash) {
        errors.push({
          file,
          checkId: clash.id,
          problem: `check id also used by pack '${owners.get(clash.id)}'`,
        });
        loaded.delete(pack.name);
        continue;
      }
      pack.checks.forEach(c => owners.set(c.id, pack.name));
    }
    if (loaded.size === 0 && !this.current) {
      throw new Error(
        `no usable policy pack in ${this.directory}: ${errors
          .map(e => e.problem)
          .join('; ')}`,
      );
    }
    if (loaded.size > 0) {
      this.lastGood = loaded;
      const packs = [...loaded.values()].map(v => v.pack);
      const ruleHashes = new Map<string, string>();
      for (const pack of packs) {
        for (const check of pack.checks) {
          ruleHashes.set(
            check.id,
            hashOf({
              pack: pack.name,
              ...check,
              remediation: undefined,
              title: undefined,
            }),
          );
        }
      }
      this.current = {
        packs,
        evaluator: PolicyEvaluator.fromPacks(packs),
        ruleHashes,
        loadedAt: new Date().toISOString(),
      };
      await this.options.onLoaded?.(
        [...loaded.values()].map(({ pack, file }) => ({
          name: pack.name,
          version: pack.version,
          file,
          definition: pack,
        })),
      );
    }
    this.status = {
      directory: this.directory,
      loadedAt: this.current?.loadedAt,
      packs: [...this.lastGood.values()].map(({ pack, file }) => ({
        name: pack.name,
        version: pack.version,
        file,
        checks: pack.checks.length,
      })),
      errors,
    };
    return this.status;
  }
}
