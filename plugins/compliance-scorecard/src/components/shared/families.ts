import type {
  Framework,
  Scorecard,
  ScorecardCheck,
  ScorecardControl,
} from '@internal/plugin-compliance-common';

/** Names of the SOC 2 trust services criteria groups and NIST 800-53 rev. 5 control families. */
const FAMILY_NAMES: Record<Framework, Record<string, string>> = {
  SOC2: {
    CC1: 'Control environment',
    CC2: 'Communication and information',
    CC3: 'Risk assessment',
    CC4: 'Monitoring activities',
    CC5: 'Control activities',
    CC6: 'Logical and physical access controls',
    CC7: 'System operations',
    CC8: 'Change management',
    CC9: 'Risk mitigation',
    A1: 'Availability',
    C1: 'Confidentiality',
    PI1: 'Processing integrity',
    P1: 'Privacy: notice',
    P2: 'Privacy: choice and consent',
    P3: 'Privacy: collection',
    P4: 'Privacy: use, retention and disposal',
    P5: 'Privacy: access',
    P6: 'Privacy: disclosure and notification',
    P7: 'Privacy: quality',
    P8: 'Privacy: monitoring and enforcement',
  },
  'NIST-800-53': {
    AC: 'Access control',
    AT: 'Awareness and training',
    AU: 'Audit and accountability',
    CA: 'Assessment, authorization and monitoring',
    CM: 'Configuration management',
    CP: 'Contingency planning',
    IA: 'Identification and authentication',
    IR: 'Incident response',
    MA: 'Maintenance',
    MP: 'Media protection',
    PE: 'Physical and environmental protection',
    PL: 'Planning',
    PM: 'Program management',
    PS: 'Personnel security',
    PT: 'PII processing and transparency',
    RA: 'Risk assessment',
    SA: 'System and services acquisition',
    SC: 'System and communications protection',
    SI: 'System and information integrity',
    SR: 'Supply chain risk management',
  },
};

const FRAMEWORK_LABELS: Record<Framework, string> = {
  SOC2: 'SOC 2',
  'NIST-800-53': 'NIST 800-53',
};

/** `SOC 2` or `NIST 800-53`. */
export function frameworkLabel(framework: Framework): string {
  return FRAMEWORK_LABELS[framework] ?? framework;
}

/** A family's name, e.g. "Access control" for NIST AC; the id itself for families we do not know. */
export function familyName(framework: Framework, family: string): string {
  return FAMILY_NAMES[framework]?.[family] ?? family;
}

/**
 * The name of a dashboard family column (`SOC 2 CC6`, `NIST AC`), as the backend labels them, or '' when the
 * label has no known family.
 */
export function familyNameOfLabel(label: string): string {
  const soc2 = label.match(/^SOC 2 (.+)$/);
  if (soc2) return FAMILY_NAMES.SOC2[soc2[1]] ?? '';
  const nist = label.match(/^NIST (.+)$/);
  if (nist) return FAMILY_NAMES['NIST-800-53'][nist[1]] ?? '';
  return '';
}

/** One control family of an entity's scorecard with its controls and the checks that evidence them. */
export interface FamilyGroup {
  key: string;
  framework: Framework;
  family: string;
  name: string;
  controls: ScorecardControl[];
  checks: ScorecardCheck[];
  failing: number;
}

const FRAMEWORK_ORDER: Framework[] = ['SOC2', 'NIST-800-53'];

/**
 * Groups the checks of a scorecard by the control families they evidence: SOC 2 first, then NIST. A check that
 * evidences controls of several families appears under each of them; families whose controls no check evidences
 * are left out.
 */
export function groupChecksByFamily(scorecard: Scorecard): FamilyGroup[] {
  const controlsById = new Map(scorecard.controls.map(c => [c.id, c]));
  const groups = new Map<string, FamilyGroup>();
  for (const check of scorecard.results) {
    for (const controlId of check.controls) {
      const control = controlsById.get(controlId);
      if (!control) continue;
      const key = `${control.framework}:${control.family}`;
      let group = groups.get(key);
      if (!group) {
        group = {
          key,
          framework: control.framework,
          family: control.family,
          name: familyName(control.framework, control.family),
          controls: [],
          checks: [],
          failing: 0,
        };
        groups.set(key, group);
      }
      if (!group.controls.includes(control)) group.controls.push(control);
      if (!group.checks.includes(check)) {
        group.checks.push(check);
        if (check.status === 'fail' || check.status === 'error')
          group.failing += 1;
      }
    }
  }
  return [...groups.values()].sort(
    (a, b) =>
      FRAMEWORK_ORDER.indexOf(a.framework) -
        FRAMEWORK_ORDER.indexOf(b.framework) ||
      a.family.localeCompare(b.family, undefined, { numeric: true }),
  );
}
