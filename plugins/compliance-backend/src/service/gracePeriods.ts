import { ComplianceStore } from '../database/ComplianceStore';

/**
 * When each entity's grace period for CI evidence starts (issue 11), by entity ref: the time of the first chained
 * record (compliance_ledger, kind `gate-evaluation`) in which the blueprint gate let a scaffolder task create that
 * entity (decision `passed`, with the task's id). Only the scaffolder's own service may record one (POST
 * /gate-evaluations), and the record's entity, event and time are inside its keyed hash.
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
  for (const record of await store.listLedgerFor('gate-evaluation', [
    ...wanted,
  ])) {
    const ref = record.entityRef ?? '';
    if (
      record.event === 'passed' &&
      record.body.task_id &&
      // The chained body says the same entity (both are inside the record's keyed hash).
      String(record.body.entity_ref ?? ref) === ref &&
      wanted.has(ref) &&
      !anchors.has(ref)
    )
      anchors.set(ref, record.recordedAt);
  }
  return anchors;
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
