import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  APPROVAL_CHECK_IDS,
  ApprovalSubject,
  EntityEvaluation,
  EvaluationEnvironment,
  Exemption,
  FORGE_ANNOTATIONS,
  PolicyEvaluator,
  PolicyPack,
  Severity,
} from '@internal/plugin-compliance-common';
import { sameEntityRef } from '@internal/plugin-forge-node';
import { formatMoney } from '../cost/estimateMonthlyCost';

/** A check that failed for one of the documents, with everything a developer needs to fix it. */
export interface GateFinding {
  checkId: string;
  title: string;
  pack: string;
  severity: Severity;
  controls: string[];
  entityRef: string;
  message: string;
}

/** A sign-off the request needs, and where it stands. */
export interface ApprovalNeed {
  checkId: string;
  reason: string;
  status: 'approved' | 'pending' | 'missing';
  exemptionId?: string;
  /** What is asked to be approved: filed with the request, compared with every later request. */
  subject: ApprovalSubject;
  /** Approvals of this project that exist but do not cover this request, and why (shown to the developer). */
  notApplicable?: string[];
}

export interface GateDecision {
  decision: 'passed' | 'blocked' | 'approval-required';
  /** The project's Component (first Component in the file) and its owning group. */
  primaryRef: string;
  ownerRef: string;
  blocking: GateFinding[];
  warnings: GateFinding[];
  approvals: ApprovalNeed[];
  evaluations: EntityEvaluation[];
}

/** What the environment request says, as far as the gate compares it with the entity. */
interface EnvironmentRequestSpec {
  owner?: string;
  region?: string;
  classification?: string;
  quota?: { gpu?: number };
  dataSources?: string[];
}

export interface GateRequest {
  packs: PolicyPack[];
  documents: Entity[];
  /** Catalog entities the documents depend on (their data sources). */
  related: Entity[];
  environment: EvaluationEnvironment;
  /** Exemptions and approvals from the queue that may apply (any status; filtered here). */
  exemptions: Exemption[];
  allowedRegions: string[];
  environmentRequest?: { spec?: EnvironmentRequestSpec };
  /**
   * The forge:cost:estimate outputs the template passed. Only the estimate is read from them, and never below the
   * entity's own forge.io/cost-estimate: whether an approval is needed is the gate's to decide, from the policy.
   */
  cost?: { monthlyTotal: number; currency: string; approvalThreshold?: number };
  /** The owning group's limits from the price catalog (forge.blueprints.pricing.limits): the policy. */
  costPolicy?: { approvalThreshold: number; hardLimit: number; currency: string };
  /**
   * Who runs the blueprint (the user the task runs for), as approvals record their requester. Undefined only in a
   * dry run started by a service (the review page's preview), which cannot tell and files nothing.
   */
  requester: string | undefined;
  /**
   * The Template the scaffolder runs (from the task, not from anything the template renders). Undefined in a dry
   * run, whose template ref is always template:default/dry-run: not compared then.
   */
  templateRef: string | null | undefined;
  now: Date;
}

/** The monthly estimate the gate goes by: the larger of the template's figure and the entity's annotation. */
function costOf(request: GateRequest, annotations: Record<string, string>) {
  const annotated = Number(annotations[FORGE_ANNOTATIONS.costEstimate]);
  const figures = [
    request.cost?.monthlyTotal,
    Number.isFinite(annotated) && annotated >= 0 ? annotated : undefined,
  ].filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!figures.length) return undefined;
  const currency = request.costPolicy?.currency ?? request.cost?.currency ?? 'EUR';
  const threshold = request.costPolicy?.approvalThreshold ?? request.cost?.approvalThreshold;
  return {
    monthlyTotal: Math.max(...figures),
    currency,
    approvalThreshold: threshold,
    hardLimit: request.costPolicy?.hardLimit,
  };
}

const sameRefs = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((ref, i) => sameEntityRef(ref, [...b].sort()[i]));

/**
 * Why an approval of this project does not cover this request, or undefined when it does: the same requester, the
 * same template, owner, classification and restricted sources, and for a cost approval no more than the approved
 * monthly estimate (in the same currency).
 */
export function approvalMismatch(
  approval: Exemption,
  checkId: string,
  subject: ApprovalSubject,
  /** Undefined: not known (a preview's dry run), not compared; the real run compares it. */
  requester: string | undefined,
  compareTemplate = true,
): string | undefined {
  const approved = approval.subject;
  if (!approved) {
    return `${approval.id} was filed before approvals recorded what they approve, so it cannot be matched with this request`;
  }
  if (requester !== undefined && !sameEntityRef(approval.requestedBy, requester)) {
    return `${approval.id} was requested by ${approval.requestedBy}, not by ${requester}`;
  }
  const ref = (v: string | null) => v ?? 'none';
  const sameTemplate =
    (approved.templateRef ?? '') === (subject.templateRef ?? '') ||
    (!!approved.templateRef && !!subject.templateRef && sameEntityRef(approved.templateRef, subject.templateRef));
  if (compareTemplate && !sameTemplate) {
    return `${approval.id} was approved for the template ${ref(approved.templateRef)}; this request comes from ${ref(subject.templateRef)}`;
  }
  if (!sameEntityRef(approved.ownerRef, subject.ownerRef)) {
    return `${approval.id} was approved for the owner ${approved.ownerRef}; this request names ${subject.ownerRef}`;
  }
  if ((approved.classification ?? '') !== (subject.classification ?? '')) {
    return `${approval.id} was approved for data classified ${ref(approved.classification)}; this request is classified ${ref(subject.classification)}`;
  }
  if (!sameRefs(approved.restrictedSources, subject.restrictedSources)) {
    const list = (refs: string[]) => (refs.length ? refs.join(', ') : 'none');
    return `${approval.id} was approved for the restricted sources ${list(approved.restrictedSources)}; this request reads ${list(subject.restrictedSources)}`;
  }
  if (checkId === APPROVAL_CHECK_IDS.costThreshold && subject.cost) {
    const cost = approved.cost;
    if (!cost) return `${approval.id} was approved without a cost estimate; this request estimates ${formatMoney(subject.cost.monthlyTotal, subject.cost.currency)} a month`;
    if (cost.currency !== subject.cost.currency || subject.cost.monthlyTotal > cost.monthlyTotal) {
      return `${approval.id} was approved for ${formatMoney(cost.monthlyTotal, cost.currency)} a month; this request estimates ${formatMoney(
        subject.cost.monthlyTotal,
        subject.cost.currency,
      )} a month`;
    }
  }
  return undefined;
}

const GATE_PACK = 'gate';

function refsOf(entity: Entity): string[] {
  const spec = (entity.spec ?? {}) as { dependsOn?: unknown };
  const namespace = entity.metadata.namespace ?? 'default';
  return Array.isArray(spec.dependsOn)
    ? spec.dependsOn.flatMap(r => {
        try {
          return [stringifyEntityRef(parseEntityRef(String(r), { defaultKind: 'component', defaultNamespace: namespace }))];
        } catch {
          return [];
        }
      })
    : [];
}

/**
 * The compliance gate's decision for a blueprint request: every document the blueprint will register is evaluated
 * with the policy packs in request mode; failures of checks that block stop it, the rest are warnings; restricted
 * data and cost above the group's threshold need an approval; the environment request must agree with the entity.
 * Pure: the action fetches what it needs and files what this asks for.
 */
export function evaluateRequest(request: GateRequest): GateDecision {
  const { documents, now } = request;
  const primary = documents.find(d => d.kind === 'Component') ?? documents[0];
  const primaryRef = stringifyEntityRef(primary);
  const primaryNamespace = primary.metadata.namespace ?? 'default';
  const ownerRef = stringifyEntityRef(
    parseEntityRef(String((primary.spec as { owner?: string })?.owner ?? ''), {
      defaultKind: 'group',
      defaultNamespace: primaryNamespace,
    }),
  );
  const annotations = primary.metadata.annotations ?? {};

  const evaluator = PolicyEvaluator.fromPacks(request.packs);
  const checks = new Map(evaluator.checks.map(c => [c.check.id, c]));
  const live = (e: Exemption) => e.status === 'approved' && Date.parse(e.expiresAt) > now.getTime();
  const activeExemptions = request.exemptions.filter(live).map(e => ({
    id: e.id,
    checkId: e.checkId,
    entityRef: e.entityRef,
    expiresAt: e.expiresAt,
  }));

  const byRef = new Map<string, Entity>(
    [...request.related, ...documents].map(e => [stringifyEntityRef(e), e]),
  );
  const blocking: GateFinding[] = [];
  const warnings: GateFinding[] = [];
  const evaluations: EntityEvaluation[] = [];

  for (const document of documents) {
    const entityRef = stringifyEntityRef(document);
    const related = refsOf(document)
      .map(ref => byRef.get(ref))
      .filter((e): e is Entity => !!e);
    const evaluation = evaluator.evaluate(
      { entity: document, related, exemptions: activeExemptions, now },
      request.environment,
      'request',
    );
    evaluations.push(evaluation);
    for (const result of evaluation.results) {
      if (result.status !== 'fail' && result.status !== 'error') continue;
      const known = checks.get(result.checkId);
      const finding: GateFinding = {
        checkId: result.checkId,
        title: known?.check.title ?? result.checkId,
        pack: `${result.packName}@${result.packVersion}`,
        severity: result.severity,
        controls: result.controls,
        entityRef,
        message: result.message ?? known?.check.remediation ?? '',
      };
      if (result.status === 'error' || known?.check.gate === 'block') blocking.push(finding);
      else warnings.push(finding);
    }
  }

  // The gate's own checks: the region is one the platform allows, and the environment request says what the
  // entity says (a hand-edited blueprint must not register one thing and provision another).
  const region = annotations[FORGE_ANNOTATIONS.region];
  if (region && !request.allowedRegions.includes(region)) {
    blocking.push({
      checkId: 'gate.region-allowed',
      title: 'Region allowed for Forge projects',
      pack: GATE_PACK,
      severity: 'high',
      controls: ['AC-4', 'CC6.7'],
      entityRef: primaryRef,
      message: `Region ${region} is not one Forge deploys to; choose one of ${request.allowedRegions.join(', ')}.`,
    });
  }
  const spec = request.environmentRequest?.spec;
  if (spec) {
    const mismatches: string[] = [];
    if (spec.owner && spec.owner !== ownerRef) mismatches.push(`owner ${spec.owner} vs ${ownerRef}`);
    if (spec.region && spec.region !== region) mismatches.push(`region ${spec.region} vs ${region}`);
    const classification = annotations[FORGE_ANNOTATIONS.dataClassification];
    if (spec.classification && spec.classification !== classification) {
      mismatches.push(`classification ${spec.classification} vs ${classification}`);
    }
    const gpuQuota = annotations[FORGE_ANNOTATIONS.gpuQuota];
    if (gpuQuota !== undefined && spec.quota?.gpu !== undefined && String(spec.quota.gpu) !== gpuQuota) {
      mismatches.push(`GPU quota ${spec.quota.gpu} vs forge.io/gpu-quota ${gpuQuota}`);
    }
    const dependsOn = new Set(refsOf(primary));
    const undeclared = (spec.dataSources ?? []).filter(s => !dependsOn.has(s));
    if (undeclared.length) {
      mismatches.push(`egress to ${undeclared.join(', ')} which the entity does not depend on`);
    }
    if (mismatches.length) {
      blocking.push({
        checkId: 'gate.environment-matches-entity',
        title: 'Environment request matches the registered entity',
        pack: GATE_PACK,
        severity: 'high',
        controls: ['CM-2', 'AC-4'],
        entityRef: primaryRef,
        message: `The environment request and catalog-info.yaml disagree: ${mismatches.join('; ')}. Render both from the same parameters.`,
      });
    }
  }

  // Cost: the policy's limits, not what the template says they are.
  const cost = costOf(request, annotations);
  if (cost?.hardLimit !== undefined && cost.monthlyTotal > cost.hardLimit) {
    blocking.push({
      checkId: 'gate.cost-hard-limit',
      title: 'Estimated cost within the group\'s hard limit',
      pack: GATE_PACK,
      severity: 'high',
      controls: ['CM-2'],
      entityRef: primaryRef,
      message: `The estimated ${formatMoney(cost.monthlyTotal, cost.currency)} a month is above the hard limit of ${formatMoney(
        cost.hardLimit,
        cost.currency,
      )} for ${ownerRef}. Choose a smaller profile, fewer GPUs or replicas, or fewer hours.`,
    });
  }

  // Approvals: restricted data, and cost above the group's threshold.
  const restricted = new Set(
    request.related
      .filter(e => e.metadata.annotations?.[FORGE_ANNOTATIONS.dataClassification] === 'restricted')
      .map(e => stringifyEntityRef(e)),
  );
  const sources = [...new Set(refsOf(primary).filter(ref => restricted.has(ref)))].sort();
  const subject: ApprovalSubject = {
    templateRef: request.templateRef ?? null,
    ownerRef,
    classification: annotations[FORGE_ANNOTATIONS.dataClassification] ?? null,
    restrictedSources: sources,
    cost:
      cost && cost.approvalThreshold !== undefined
        ? { monthlyTotal: cost.monthlyTotal, approvalThreshold: cost.approvalThreshold, currency: cost.currency }
        : null,
  };
  const needs: Array<{ checkId: string; reason: string }> = [];
  if (annotations[FORGE_ANNOTATIONS.dataClassification] === 'restricted') {
    needs.push({
      checkId: APPROVAL_CHECK_IDS.restrictedData,
      reason: sources.length
        ? `the project reads restricted data (${sources.join(', ')})`
        : 'the project is classified restricted',
    });
  }
  if (subject.cost && subject.cost.monthlyTotal > subject.cost.approvalThreshold) {
    needs.push({
      checkId: APPROVAL_CHECK_IDS.costThreshold,
      reason: `the estimated ${formatMoney(subject.cost.monthlyTotal, subject.cost.currency)} a month is above the group's approval threshold of ${formatMoney(
        subject.cost.approvalThreshold,
        subject.cost.currency,
      )}`,
    });
  }
  // An approval covers this project, and only the request it was filed for (approvalMismatch).
  const ofProject = (e: Exemption, checkId: string) =>
    e.kind === 'approval' && e.checkId === checkId && sameEntityRef(e.entityRef, primaryRef);
  const approvals: ApprovalNeed[] = needs.map(need => {
    const candidates = request.exemptions.filter(
      e => ofProject(e, need.checkId) && (live(e) || e.status === 'pending'),
    );
    const why = new Map(
      candidates.map(e => [
        e.id,
        approvalMismatch(e, need.checkId, subject, request.requester, request.templateRef !== undefined),
      ]),
    );
    const approved = candidates.find(e => e.status === 'approved' && !why.get(e.id));
    if (approved) return { ...need, subject, status: 'approved', exemptionId: approved.id };
    const pending = candidates.find(e => e.status === 'pending' && !why.get(e.id));
    const notApplicable = candidates
      .filter(e => e.status === 'approved')
      .map(e => why.get(e.id)!)
      .filter(Boolean);
    const extra = notApplicable.length ? { notApplicable } : {};
    if (pending) return { ...need, subject, status: 'pending', exemptionId: pending.id, ...extra };
    return { ...need, subject, status: 'missing', ...extra };
  });

  let decision: GateDecision['decision'] = 'passed';
  if (blocking.length) decision = 'blocked';
  else if (approvals.some(a => a.status !== 'approved')) decision = 'approval-required';

  return { decision, primaryRef, ownerRef, blocking, warnings, approvals, evaluations };
}

/** The explanation a developer reads on the task page when the gate stops a request. */
/**
 * Findings of one check, said once: a rule the project and its storage resource both break is one thing to fix,
 * so the count and the list are per check (with every entity it failed on), as the review page shows them.
 */
function perCheck(findings: GateFinding[]): Array<GateFinding & { entityRefs: string[] }> {
  const checks = new Map<string, GateFinding & { entityRefs: string[] }>();
  for (const f of findings) {
    const seen = checks.get(f.checkId);
    if (!seen) {
      checks.set(f.checkId, { ...f, entityRefs: [f.entityRef] });
    } else {
      if (!seen.entityRefs.includes(f.entityRef)) seen.entityRefs.push(f.entityRef);
      if (f.message && !seen.message.includes(f.message)) seen.message = `${seen.message} ${f.message}`;
    }
  }
  return [...checks.values()];
}

const listOf = (refs: string[]) =>
  refs.length < 2 ? refs.join('') : `${refs.slice(0, -1).join(', ')} and ${refs[refs.length - 1]}`;

export function explainDecision(decision: GateDecision): string {
  const lines: string[] = [];
  if (decision.decision === 'blocked') {
    const blocking = perCheck(decision.blocking);
    lines.push(
      `Blocked by the compliance gate: ${blocking.length} check${blocking.length === 1 ? '' : 's'} failed.`,
    );
    for (const f of blocking) {
      lines.push(
        `- ${f.checkId} "${f.title}" (${f.pack}, ${f.severity}; controls ${f.controls.join(', ')}) on ${listOf(f.entityRefs)}: ${f.message}`,
      );
    }
  } else if (decision.decision === 'approval-required') {
    lines.push('Approval required before this project can be created:');
    for (const a of decision.approvals.filter(x => x.status !== 'approved')) {
      // An earlier approval of this project that does not cover this request: say why, and that it is asked again.
      const stale = (a.notApplicable ?? []).map(why => `Approval ${why}: request approval again.`).join(' ');
      lines.push(
        `- ${a.checkId}: ${a.reason}. ${stale ? `${stale} ` : ''}${
          a.exemptionId
            ? `Approval request ${a.exemptionId} is waiting in the compliance exemption queue.`
            : 'An approval request will be filed in the compliance exemption queue.'
        }`,
      );
    }
    lines.push('Once Compliance approves, run the blueprint again with the same answers (Start Over): the gate evaluates again and passes.');
  } else {
    lines.push('The compliance gate passed.');
  }
  // Blank lines keep the parts apart where the explanation is shown as Markdown (the task page).
  if (decision.decision !== 'passed') lines.push('', 'Nothing has been published.');
  const warnings = perCheck(decision.warnings);
  if (warnings.length) {
    lines.push('', `${warnings.length} warning${warnings.length === 1 ? '' : 's'} to address after creation:`);
    for (const w of warnings) {
      lines.push(`- ${w.checkId} "${w.title}" (controls ${w.controls.join(', ')}): ${w.message}`);
    }
  }
  return lines.join('\n');
}
