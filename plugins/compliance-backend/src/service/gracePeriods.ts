import { ComplianceStore } from '../database/ComplianceStore';

/**
 * When each entity's grace period for CI evidence starts (issue 11), by entity ref: the time of the latest chained
 * record (compliance_ledger, kind `gate-evaluation`) in which the blueprint gate let a scaffolder task create that
 * entity (decision `passed`, with the task's id) while compliance knew no such entity. Only the scaffolder's own
 * service may record one (POST /gate-evaluations), and the record's entity, event and time are inside its keyed hash.
 *
 * "Knew no such entity" is decided from the chain, not from the caller: compliance's chained results
 * (compliance_history) held no current result for the entity just before the record. A blueprint run named like a
 * project that already exists (another team's, or one registered by hand) therefore anchors nothing, whatever the
 * gate recorded, and opens no evidence window: its clean secret scan cannot whitewash that project. A later run that
 * creates the project after an earlier run passed the gate but failed afterwards (publish, register) is the anchor:
 * the latest such record wins, so "Start over" gets its own hour and its own grace period.
 *
 * Absent for any other entity - registered by hand (whatever its forge.io/blueprint annotation says), renamed or moved
 * to another namespace after it was created, or only ever refused by the gate: its checks are decided at once (fail,
 * not pending). Nothing outside the chain anchors a grace period, so deleting score history or registering an entity
 * again starts none.
 */
export async function graceAnchors(
  store: ComplianceStore,
  entityRefs: Iterable<string>,
): Promise<Map<string, string>> {
  const wanted = new Set(entityRefs);
  const anchors = new Map<string, string>();
  if (wanted.size === 0) return anchors;
  // Only the records about these entities (by the chained entity ref), not every gate evaluation ever recorded.
  const candidates = new Map<string, string[]>();
  for (const record of await store.listLedgerFor('gate-evaluation', [
    ...wanted,
  ])) {
    const ref = record.entityRef ?? '';
    if (
      record.event === 'passed' &&
      record.body.task_id &&
      // The chained body says the same entity (both are inside the record's keyed hash).
      String(record.body.entity_ref ?? ref) === ref &&
      wanted.has(ref)
    )
      candidates.set(ref, [...(candidates.get(ref) ?? []), record.recordedAt]);
  }
  for (const [ref, times] of candidates) {
    // Newest first: the latest run that created the entity.
    for (const at of [...times].reverse()) {
      if (!(await knownBefore(store, ref, at))) {
        anchors.set(ref, at);
        break;
      }
    }
  }
  return anchors;
}

/**
 * Whether compliance held a current result for the entity just before `at`: it was in the catalog and scored
 * (an entity that left the catalog has only not-applicable results, so a project deleted and created again by a
 * blueprint is new). Read from the chained history, which cannot be deleted without verify noticing.
 */
async function knownBefore(
  store: ComplianceStore,
  entityRef: string,
  at: string,
): Promise<boolean> {
  const before = new Date(Date.parse(at) - 1).toISOString();
  return (await store.stateAsOf(before, [entityRef])).length > 0;
}

/** How long after the blueprint gate let a scaffolder task create a project the scaffolder may leave its evidence. */
export const CREATION_EVIDENCE_WINDOW_MS = 60 * 60 * 1000;

/**
 * Whether the scaffolder may still push a creation fact (secret-scan, sbom) for an entity: only within
 * {@link CREATION_EVIDENCE_WINDOW_MS} of the chained gate record of the blueprint run that created it (the grace
 * anchor), and never for an entity without one. Nothing outside the chain (score history, first evaluation) opens
 * the window again. Returns why not, or undefined when it may.
 */
export async function creationEvidenceRefusal(
  store: ComplianceStore,
  entityRef: string,
  now: Date,
): Promise<string | undefined> {
  const anchor = (await graceAnchors(store, [entityRef])).get(entityRef);
  if (!anchor)
    return `The blueprints may leave evidence only for a project they just created, and no blueprint run created ${entityRef} (the history holds no passed gate evaluation of a scaffolder task for it): its evidence comes from CI, with its own token`;
  if (now.getTime() - Date.parse(anchor) > CREATION_EVIDENCE_WINDOW_MS)
    return `The blueprints may leave evidence only within an hour of creating a project; ${entityRef} was created by a blueprint run at ${anchor}: its evidence now comes from CI, with its own token`;
  return undefined;
}
