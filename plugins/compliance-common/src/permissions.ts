import { createPermission } from '@backstage/plugin-permission-common';

/** Read scorecards, results, history. @public */
export const complianceScorecardReadPermission = createPermission({
  name: 'forge.compliance.scorecard.read',
  attributes: { action: 'read' },
});

/** Evaluate one entity on demand. @public */
export const complianceEvaluatePermission = createPermission({
  name: 'forge.compliance.evaluate',
  attributes: { action: 'update' },
});

/** Request an exemption for a check of an entity (its owners). @public */
export const complianceExemptionRequestPermission = createPermission({
  name: 'forge.compliance.exemption.request',
  attributes: { action: 'create' },
  resourceType: 'catalog-entity',
});

/** Approve or reject exemptions (compliance). @public */
export const complianceExemptionApprovePermission = createPermission({
  name: 'forge.compliance.exemption.approve',
  attributes: { action: 'update' },
});

/** Export evidence (compliance, security). @public */
export const complianceEvidenceExportPermission = createPermission({
  name: 'forge.compliance.evidence.export',
  attributes: { action: 'read' },
});

/**
 * Time an evidence export without receiving it (duration and size only): what the outcomes collector needs for
 * "time to produce audit evidence", without the evidence itself. @public
 */
export const complianceEvidenceTimePermission = createPermission({
  name: 'forge.compliance.evidence.time',
  attributes: { action: 'read' },
});

/** Push facts such as scan results (the services listed for it in forge.permissions.services, e.g. CI). @public */
export const complianceFactsPushPermission = createPermission({
  name: 'forge.compliance.facts.push',
  attributes: { action: 'create' },
});

/** Reload policy packs from their folder (admins: it changes what every scorecard says). @public */
export const compliancePolicyReloadPermission = createPermission({
  name: 'forge.compliance.policy.reload',
  attributes: { action: 'update' },
});

/**
 * Record a blueprint gate evaluation as evidence: only the Forge blueprints (the scaffolder's own service principal),
 * never a person or another service, so a forged "passed" cannot be stored. @public
 */
export const complianceGateRecordPermission = createPermission({
  name: 'forge.compliance.gate.record',
  attributes: { action: 'create' },
});

/** @public */
export const compliancePermissions = [
  compliancePolicyReloadPermission,
  complianceScorecardReadPermission,
  complianceEvaluatePermission,
  complianceExemptionRequestPermission,
  complianceExemptionApprovePermission,
  complianceEvidenceExportPermission,
  complianceEvidenceTimePermission,
  complianceFactsPushPermission,
  complianceGateRecordPermission,
];
