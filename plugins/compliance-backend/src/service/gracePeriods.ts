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
  for (const record of await store.listLedger('gate-evaluation')) {
    const ref = record.entityRef ?? String(record.body.entity_ref ?? '');
    if (
      record.event === 'passed' &&
      record.body.task_id &&
      wanted.has(ref) &&
      !anchors.has(ref)
    )
      anchors.set(ref, record.recordedAt);
  }
  return anchors;
}
