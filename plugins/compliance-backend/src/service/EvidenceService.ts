import { randomUUID } from 'node:crypto';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { Exemption, Framework } from '@internal/plugin-compliance-common';
import { ComplianceStore } from '../database/ComplianceStore';
import { CatalogReader } from './CatalogReader';
import { descendantGroups } from './groups';
import { sha256 } from './hashing';
import { PolicyPackLoader } from './PolicyPackLoader';

export type EvidenceScope =
  | { type: 'org' }
  | { type: 'group'; ref: string }
  | { type: 'entity'; ref: string };

export interface EvidenceQuery {
  scope: EvidenceScope;
  framework?: Framework;
  controlId?: string;
  asOf: Date;
}

/** One row of evidence: a check's result for an entity as of the requested date. */
export interface EvidenceRow {
  entityRef: string;
  ownerRef: string;
  checkId: string;
  checkTitle: string;
  severity: string;
  controls: string[];
  status: string;
  message: string;
  packName: string;
  packVersion: string;
  ruleHash: string;
  factsHash: string;
  evaluatedAt: string;
  historySeq: number;
  historyHash: string;
  exemption?: Exemption;
  /**
   * `scorecard`: the entity's stored result as of the date. `gate`: what the blueprint gate found when the project
   * was requested, before it existed (historyHash is then the gate record's id and the check's).
   */
  source: 'scorecard' | 'gate';
  gate?: {
    decision: string;
    taskId?: string;
    templateRef?: string;
    recordedBy: string;
  };
}

/** A UUID (v5 layout) derived from a hash, so the same evidence always gets the same ids. */
function uuidFrom(text: string): string {
  const h = sha256(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${(
    (parseInt(h[16], 16) & 0x3) |
    0x8
  ).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Evidence for auditors: what each check said about each entity in scope as of a date, with the rule version,
 * the hash of the facts it saw, when it was evaluated and the exemption decisions that applied.
 */
export class EvidenceService {
  constructor(
    private readonly deps: {
      store: ComplianceStore;
      loader: PolicyPackLoader;
      catalog: CatalogReader;
      organization: string;
    },
  ) {}

  async collect(query: EvidenceQuery): Promise<EvidenceRow[]> {
    const { packs } = this.deps.loader.policy;
    const controls = new Map(
      packs.flatMap(p => p.controls.map(c => [c.id, c])),
    );
    if (query.controlId && !controls.has(query.controlId)) {
      throw new InputError(
        `Unknown control '${query.controlId}'; controls of the loaded packs: ${[
          ...controls.keys(),
        ].join(', ')}`,
      );
    }
    const checks = new Map(packs.flatMap(p => p.checks.map(c => [c.id, c])));
    const asOf = query.asOf.toISOString();

    const summaries = await this.deps.store.summariesAsOf(asOf);
    const ownerOf = new Map(
      summaries.map(s => [s.entityRef, s.ownerRef ?? '']),
    );
    let entityRefs: string[] | undefined;
    if (query.scope.type === 'entity') {
      entityRefs = [query.scope.ref];
    } else if (query.scope.type === 'group') {
      const groups = await this.deps.catalog.listGroups();
      if (
        !groups.some(
          g => stringifyEntityRef(g) === (query.scope as { ref: string }).ref,
        )
      ) {
        throw new NotFoundError(`No group ${query.scope.ref} in the catalog`);
      }
      const team = descendantGroups(query.scope.ref, groups);
      entityRefs = summaries
        .filter(s => s.ownerRef && team.has(s.ownerRef))
        .map(s => s.entityRef);
    }
    const state = await this.deps.store.stateAsOf(asOf, entityRefs);

    const exemptions = (await this.deps.store.listExemptions({})).filter(
      e => e.requestedAt <= asOf,
    );
    const exemptionFor = (entityRef: string, checkId: string) =>
      exemptions.find(
        e =>
          e.checkId === checkId &&
          (e.entityRef === entityRef ||
            e.entityRef === ownerOf.get(entityRef)) &&
          e.decidedAt !== undefined &&
          e.decidedAt <= asOf,
      );

    const matchesControl = (ids: string[]) =>
      ids.some(id => {
        const control = controls.get(id);
        if (!control) return false;
        if (query.framework && control.framework !== query.framework)
          return false;
        return !query.controlId || id === query.controlId;
      });

    // What the blueprint gate decided when projects in scope were requested, including requests it refused.
    const gateRecords = await this.deps.store.listGateEvaluations(
      entityRefs,
      asOf,
    );
    if (
      query.scope.type === 'entity' &&
      state.length === 0 &&
      gateRecords.length === 0
    ) {
      throw new NotFoundError(
        `No compliance results or gate evaluations for ${query.scope.ref} on or before ${asOf}`,
      );
    }
    const gateRows: EvidenceRow[] = gateRecords.flatMap(record =>
      record.evaluation.results
        .filter(r => r.status !== 'not_applicable')
        .filter(r => matchesControl(r.controls))
        .map(r => ({
          entityRef: record.entityRef,
          ownerRef: ownerOf.get(record.entityRef) ?? '',
          checkId: r.checkId,
          checkTitle: checks.get(r.checkId)?.title ?? r.checkId,
          severity: r.severity,
          controls: r.controls.filter(id => matchesControl([id])),
          status: r.status,
          message: r.message ?? '',
          packName: r.packName,
          packVersion: r.packVersion,
          ruleHash: '',
          factsHash: '',
          evaluatedAt: record.recordedAt,
          historySeq: 0,
          historyHash: `gate:${record.id}:${r.checkId}`,
          source: 'gate' as const,
          gate: {
            decision: record.decision,
            taskId: record.taskId,
            templateRef: record.templateRef,
            recordedBy: record.recordedBy,
          },
        })),
    );

    const scorecardRows: EvidenceRow[] = state
      .filter(h => matchesControl(checks.get(h.checkId)?.controls ?? []))
      .map(h => ({
        entityRef: h.entityRef,
        ownerRef: ownerOf.get(h.entityRef) ?? '',
        checkId: h.checkId,
        checkTitle: checks.get(h.checkId)?.title ?? h.checkId,
        severity: checks.get(h.checkId)?.severity ?? '',
        controls: (checks.get(h.checkId)?.controls ?? []).filter(id =>
          matchesControl([id]),
        ),
        status: h.status,
        message: h.message ?? '',
        packName: h.packName,
        packVersion: h.packVersion,
        ruleHash: h.ruleHash,
        factsHash: h.factsHash,
        evaluatedAt: h.recordedAt,
        historySeq: h.seq,
        historyHash: h.hash,
        exemption: exemptionFor(h.entityRef, h.checkId),
        source: 'scorecard' as const,
      }));
    return [...scorecardRows, ...gateRows].sort(
      (a, b) =>
        a.entityRef.localeCompare(b.entityRef) ||
        b.source.localeCompare(a.source) ||
        a.checkId.localeCompare(b.checkId) ||
        a.evaluatedAt.localeCompare(b.evaluatedAt),
    );
  }

  toCsv(rows: EvidenceRow[]): string {
    const header = [
      'entity_ref',
      'owner_ref',
      'check_id',
      'check_title',
      'severity',
      'controls',
      'status',
      'message',
      'pack',
      'pack_version',
      'rule_hash',
      'facts_hash',
      'evaluated_at',
      'history_seq',
      'history_hash',
      'exemption_id',
      'exemption_status',
      'exemption_requested_by',
      'exemption_decided_by',
      'exemption_decided_at',
      'exemption_expires_at',
      'exemption_justification',
      'exemption_compensating_control',
      'source',
      'gate_decision',
      'gate_task_id',
      'gate_template',
      'gate_recorded_by',
    ];
    const lines = rows.map(r =>
      [
        r.entityRef,
        r.ownerRef,
        r.checkId,
        r.checkTitle,
        r.severity,
        r.controls.join(' '),
        r.status,
        r.message,
        r.packName,
        r.packVersion,
        r.ruleHash,
        r.factsHash,
        r.evaluatedAt,
        r.historySeq,
        r.historyHash,
        r.exemption?.id,
        r.exemption?.status,
        r.exemption?.requestedBy,
        r.exemption?.decidedBy,
        r.exemption?.decidedAt,
        r.exemption?.expiresAt,
        r.exemption?.justification,
        r.exemption?.compensatingControl,
        r.source,
        r.gate?.decision,
        r.gate?.taskId,
        r.gate?.templateRef,
        r.gate?.recordedBy,
      ]
        .map(csvCell)
        .join(','),
    );
    return `${[header.join(','), ...lines].join('\n')}\n`;
  }

  /** OSCAL 1.1.2 assessment-results: one result, an observation per check result, a finding per control. */
  toOscal(rows: EvidenceRow[], query: EvidenceQuery): unknown {
    const { packs } = this.deps.loader.policy;
    const controls = new Map(
      packs.flatMap(p => p.controls.map(c => [c.id, c])),
    );
    const scope =
      query.scope.type === 'org'
        ? 'organization'
        : `${query.scope.type} ${query.scope.ref}`;
    const observations = rows.map(r => ({
      uuid: uuidFrom(`${r.historyHash}:observation`),
      title: `${r.checkTitle} - ${r.entityRef}`,
      description: r.message || `Check ${r.checkId} evaluated ${r.status}.`,
      methods: ['TEST'],
      types: ['control-objective'],
      subjects: [
        {
          'subject-uuid': uuidFrom(r.entityRef),
          type: 'component',
          title: r.entityRef,
        },
      ],
      collected: r.evaluatedAt,
      props: [
        { name: 'check-id', ns: 'urn:forge', value: r.checkId },
        { name: 'status', ns: 'urn:forge', value: r.status },
        { name: 'severity', ns: 'urn:forge', value: r.severity || 'unknown' },
        {
          name: 'policy-pack',
          ns: 'urn:forge',
          value: `${r.packName}@${r.packVersion}`,
        },
        { name: 'rule-hash', ns: 'urn:forge', value: r.ruleHash },
        { name: 'facts-hash', ns: 'urn:forge', value: r.factsHash },
        { name: 'history-hash', ns: 'urn:forge', value: r.historyHash },
        { name: 'evidence-source', ns: 'urn:forge', value: r.source },
        ...(r.gate
          ? [
              {
                name: 'gate-decision',
                ns: 'urn:forge',
                value: r.gate.decision,
              },
              ...(r.gate.templateRef
                ? [
                    {
                      name: 'blueprint',
                      ns: 'urn:forge',
                      value: r.gate.templateRef,
                    },
                  ]
                : []),
            ]
          : []),
        ...(r.exemption
          ? [
              { name: 'exemption-id', ns: 'urn:forge', value: r.exemption.id },
              {
                name: 'exemption-status',
                ns: 'urn:forge',
                value: r.exemption.status,
              },
              {
                name: 'exemption-decided-by',
                ns: 'urn:forge',
                value: r.exemption.decidedBy ?? 'undecided',
              },
            ]
          : []),
      ],
      ...(r.source === 'gate'
        ? {
            remarks: `Evaluated by the blueprint gate when ${
              r.entityRef
            } was requested, before anything was created; the gate ${
              r.gate?.decision === 'passed'
                ? 'let the request through'
                : `decided ${r.gate?.decision}`
            }.`,
          }
        : {}),
      ...(r.exemption
        ? {
            remarks:
              `Exemption ${r.exemption.id} (${r.exemption.status} by ${r.exemption.decidedBy} on ${r.exemption.decidedAt}, ` +
              `expires ${r.exemption.expiresAt}): ${r.exemption.justification} Compensating control: ${r.exemption.compensatingControl}`,
          }
        : {}),
    }));

    // Findings speak of the live state; gate evaluations are observations of requests, not of running projects.
    const byControl = new Map<string, EvidenceRow[]>();
    rows
      .filter(r => r.source === 'scorecard')
      .forEach(r =>
        r.controls.forEach(id =>
          byControl.set(id, [...(byControl.get(id) ?? []), r]),
        ),
      );
    const findings = [...byControl.entries()].map(([id, evidence]) => {
      const failing = evidence.filter(
        r => r.status === 'fail' || r.status === 'error',
      );
      return {
        uuid: uuidFrom(`${query.asOf.toISOString()}:${scope}:${id}`),
        title: `${id} ${controls.get(id)?.title ?? ''}`.trim(),
        description: `${evidence.length} check results evidence ${id} (${
          controls.get(id)?.framework
        }); ${failing.length} fail.`,
        target: {
          type: 'objective-id',
          'target-id': `${id.toLowerCase()}_obj`,
          status: { state: failing.length ? 'not-satisfied' : 'satisfied' },
        },
        'related-observations': evidence.map(r => ({
          'observation-uuid': uuidFrom(`${r.historyHash}:observation`),
        })),
      };
    });

    const now = new Date().toISOString();
    return {
      'assessment-results': {
        uuid: randomUUID(),
        metadata: {
          title: `Forge compliance evidence: ${scope}, as of ${query.asOf.toISOString()}`,
          'last-modified': now,
          version: packs.map(p => `${p.name}@${p.version}`).join(', '),
          'oscal-version': '1.1.2',
          parties: [
            {
              uuid: uuidFrom(this.deps.organization),
              type: 'organization',
              name: this.deps.organization,
            },
          ],
        },
        'import-ap': {
          href: `urn:forge:assessment-plan:${packs.map(p => p.name).join('+')}`,
        },
        results: [
          {
            uuid: uuidFrom(
              `${query.asOf.toISOString()}:${scope}:${query.framework ?? ''}:${
                query.controlId ?? ''
              }`,
            ),
            title: `Automated evaluation by Forge policy packs (${scope})`,
            description:
              `Results of the continuous evaluation as of ${query.asOf.toISOString()}` +
              `${query.framework ? `, framework ${query.framework}` : ''}${
                query.controlId ? `, control ${query.controlId}` : ''
              }.`,
            start: rows.reduce(
              (min, r) => (r.evaluatedAt < min ? r.evaluatedAt : min),
              query.asOf.toISOString(),
            ),
            end: query.asOf.toISOString(),
            'reviewed-controls': {
              'control-selections': [
                {
                  'include-controls': [...byControl.keys()]
                    .sort()
                    .map(id => ({ 'control-id': id.toLowerCase() })),
                },
              ],
            },
            observations,
            findings,
          },
        ],
      },
    };
  }
}
