import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { createHash } from 'node:crypto';
import { CostCatalogSnapshot } from '../catalog/CostCatalogSnapshot';
import { billingAccountIdentity } from '../ingestion/focusValues';

/** The attribution settings of `forge.cost.attribution`. */
export type AttributionConfig = {
  tagKeys: Array<{ key: string; defaultKind: string }>;
  subAccounts: Array<{ id: string; group: string }>;
};

/** The entity a row belongs to ('' when none), or why its tags could not be read. */
export type AttributionResult = { entityRef: string } | { error: string };

const UNATTRIBUTED = '';
const MEMO_LIMIT = 50_000;

/**
 * Decides which catalog entity a billing row belongs to, in this order:
 * 1. a tag claimed by an entity's `forge.io/cost-tags` annotation (a tag claimed by entities of different owners
 *    leaves the line unattributed),
 * 2. a configured tag key whose value names an entity in the catalog (`forge-entity=churn-model`),
 * 3. the row's sub-account, mapped to a group in configuration (ids compared as billingAccountIdentity keys them);
 * otherwise the row is unattributed spend (kept and shown, never dropped).
 * Tags are compared trimmed, since real exports carry keys like " org".
 */
export class Attributor {
  /** Identifies the rules: when it changes, stored files are attributed again. */
  readonly fingerprint: string;
  private readonly claimedTags = new Map<string, string>();
  private readonly tagKeys: Array<{ key: string; defaultKind: string }>;
  private readonly subAccounts = new Map<string, string>();
  /** Results by sub-account, then raw Tags text: billing lines repeat a few hundred combinations. */
  private readonly memo = new Map<string, Map<string, AttributionResult>>();
  private memoSize = 0;
  /**
   * Tags claimed by more than one entity, naming the claimants: of different owners, their lines are unattributed;
   * of one owner, the first by ref keeps them (CostCatalogSnapshot.costTags).
   */
  readonly conflicts: string[] = [];

  constructor(
    private readonly snapshot: CostCatalogSnapshot,
    config: AttributionConfig,
  ) {
    const costTags = snapshot.costTags();
    for (const { tag, entityRef } of costTags.claims) {
      this.claimedTags.set(`${tag.key}=${tag.value}`, entityRef);
    }
    // A contested tag still decides the line (no other rule gives it to anyone): it stays unattributed.
    for (const { tag, entityRefs } of costTags.contested) {
      const key = `${tag.key}=${tag.value}`;
      this.claimedTags.set(key, UNATTRIBUTED);
      this.conflicts.push(
        `${key} is claimed by ${entityRefs.join(
          ', ',
        )}, which have different owners; its lines are unattributed`,
      );
    }
    this.tagKeys = config.tagKeys;
    // Sub-account ids compared as billing accounts are (billingAccountIdentity): an Azure subscription's ARM id or
    // GUID in any case is one subscription, so a mapping written in upper case holds rows written in lower case.
    for (const { id, group } of config.subAccounts) {
      this.subAccounts.set(
        billingAccountIdentity(id),
        stringifyEntityRef(
          parseEntityRef(group, {
            defaultKind: 'group',
            defaultNamespace: 'default',
          }),
        ),
      );
    }
    const hash = createHash('sha256');
    hash.update(JSON.stringify([...this.claimedTags].sort()));
    hash.update(JSON.stringify(this.tagKeys));
    hash.update(JSON.stringify([...this.subAccounts].sort()));
    // Tag-key rules depend on which entities exist.
    hash.update(
      JSON.stringify(
        [...snapshot.entities.keys(), ...snapshot.groups.keys()].sort(),
      ),
    );
    this.fingerprint = hash.digest('hex');
  }

  /** Attributes one row from its raw Tags column and its sub-account. */
  attribute(
    rawTags: string | undefined,
    subAccountId: string,
  ): AttributionResult {
    let byTags = this.memo.get(subAccountId);
    if (!byTags) {
      byTags = new Map();
      this.memo.set(subAccountId, byTags);
    }
    const tagsKey = rawTags ?? '';
    const known = byTags.get(tagsKey);
    if (known) return known;
    const result = this.decide(rawTags, subAccountId);
    if (this.memoSize >= MEMO_LIMIT) {
      this.memo.clear();
      this.memoSize = 0;
    }
    byTags.set(tagsKey, result);
    this.memoSize += 1;
    return result;
  }

  private decide(
    rawTags: string | undefined,
    subAccountId: string,
  ): AttributionResult {
    let tags: Array<[string, string]> = [];
    if (rawTags !== undefined && rawTags.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawTags);
      } catch {
        return {
          error: `is not JSON; FOCUS writes tags as an object like {"team": "pricing"}`,
        };
      }
      if (parsed === null) {
        parsed = {};
      }
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        return {
          error: `is not a JSON object; FOCUS writes tags as an object like {"team": "pricing"}`,
        };
      }
      tags = Object.entries(parsed as Record<string, unknown>)
        .map(([k, v]): [string, string] => [
          k.trim(),
          v === null || v === undefined ? '' : String(v).trim(),
        ])
        .sort(([a], [b]) => a.localeCompare(b));
    }

    for (const [key, value] of tags) {
      const claimed = this.claimedTags.get(`${key}=${value}`);
      if (claimed !== undefined) return { entityRef: claimed };
    }
    for (const { key, defaultKind } of this.tagKeys) {
      const value = tags.find(([k]) => k === key)?.[1];
      if (!value) continue;
      const ref = this.resolve(value, defaultKind);
      if (ref) return { entityRef: ref };
    }
    const group = this.subAccounts.get(billingAccountIdentity(subAccountId));
    if (group) return { entityRef: group };
    return { entityRef: UNATTRIBUTED };
  }

  private resolve(value: string, defaultKind: string): string | undefined {
    try {
      const ref = stringifyEntityRef(
        parseEntityRef(value, { defaultKind, defaultNamespace: 'default' }),
      );
      return this.snapshot.get(ref) ? ref : undefined;
    } catch {
      return undefined;
    }
  }
}
