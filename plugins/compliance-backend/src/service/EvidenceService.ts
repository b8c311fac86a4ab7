import { randomUUID } from 'node:crypto';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  ApprovalSubject,
  Exemption,
  ExemptionKind,
  Framework,
  formatMoney,
} from '@internal/plugin-compliance-common';
import {
  CsvColumn,
  neutraliseSpreadsheetFormulasDeep,
  toCsv,
} from '@internal/plugin-forge-node';
import {
  ComplianceStore,
  LedgerRecord,
  SignedCheckpoint,
} from '../database/ComplianceStore';
import { toExemption } from '../database/DatabaseComplianceStore';
import { CatalogReader } from './CatalogReader';
import { descendantGroups } from './groups';
import { canonicalJson, sha256 } from './hashing';
import { HistoryService } from './HistoryService';
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
  /** Sequence number of the history record (for gate rows, of the gate evaluation's record). */
  historySeq: number;
  historyHash: string;
  /** The first signed checkpoint that covers the record: it existed by then. */
  checkpoint?: CheckpointRef;
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

/** A signed checkpoint, by its sequence number and time. */
export interface CheckpointRef {
  seq: number;
  at: string;
}

/**
 * One exemption or approval event from the history: who requested or decided what, when and why, with the ledger
 * record that holds it and the first checkpoint that covers it.
 */
export interface EvidenceDecision {
  exemptionId: string;
  kind: ExemptionKind;
  entityRef: string;
  checkId: string;
  /** requested, approved, rejected, revoked, or imported (existing when the keyed history began). */
  event: string;
  /** The status the exemption had after this event. */
  status: string;
  /** Who requested it (requested) or decided it (approved, rejected, revoked). */
  actor: string;
  at: string;
  justification: string;
  compensatingControl: string;
  decisionNote?: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  ledgerSeq: number;
  ledgerHash: string;
  checkpoint?: CheckpointRef;
  /** For a gate approval: what was asked to be approved, as sealed in its history record (issue 10). */
  subject?: ApprovalSubject;
}

/** The subject of a gate approval in a sentence, for OSCAL remarks. */
export function describeApprovalSubject(s: ApprovalSubject): string {
  const parts = [
    `template ${s.templateRef ?? 'not recorded'}`,
    `owner ${s.ownerRef}`,
    `data classification ${s.classification ?? 'not recorded'}`,
    `restricted sources ${
      s.restrictedSources.length ? s.restrictedSources.join(', ') : 'none'
    }`,
  ];
  const cost = s.cost
    ? `estimated ${formatMoney(
        s.cost.monthlyTotal,
        s.cost.currency,
      )} a month, above the approval threshold of ${formatMoney(
        s.cost.approvalThreshold,
        s.cost.currency,
      )}`
    : 'no cost estimate';
  return `Requested for: ${parts.join('; ')}; ${cost}.`;
}

/** OSCAL props of an approval's subject: one per fact, none for facts not recorded. */
function subjectProps(s: ApprovalSubject | undefined) {
  if (!s) return [];
  const prop = (name: string, value: string) => ({
    name,
    ns: 'urn:forge',
    value,
  });
  return [
    ...(s.templateRef ? [prop('approval-template', s.templateRef)] : []),
    prop('approval-owner', s.ownerRef),
    ...(s.classification
      ? [prop('approval-classification', s.classification)]
      : []),
    ...s.restrictedSources.map(r => prop('approval-restricted-source', r)),
    ...(s.cost
      ? [
          prop('approval-cost-monthly', String(s.cost.monthlyTotal)),
          prop('approval-cost-threshold', String(s.cost.approvalThreshold)),
          prop('approval-cost-currency', s.cost.currency),
        ]
      : []),
  ];
}

/** The subject column of a history record's body (canonical JSON text), or undefined for records without one. */
function parseSubject(text: unknown): ApprovalSubject | undefined {
  if (typeof text !== 'string' || !text) return undefined;
  return JSON.parse(text) as ApprovalSubject;
}

/** Everything an export holds: results, decisions and the checkpoint that covers all of them. */
export interface EvidenceSet {
  query: EvidenceQuery;
  rows: EvidenceRow[];
  decisions: EvidenceDecision[];
  /** Signed when the evidence was collected; every record in the set has a seq at most its seq. */
  checkpoint?: SignedCheckpoint;
  /** When it was collected (named, signed, in the CSV's scope line). */
  exportedAt?: string;
}

/** An export ready to send: its text, signed, and how to name it. */
export interface EvidenceExport {
  body: string;
  contentType: string;
  filename: string;
}

/**
 * OSCAL's objective status for a control from its check results: failing ones make it not-satisfied (fail); pending
 * ones, with nothing failing, not-satisfied with the reason 'other' and remarks saying what is awaited; otherwise
 * satisfied (pass).
 */
function objectiveStatus(
  evidence: Array<{ status: string }>,
  failing: number,
): { state: string; reason: string; remarks?: string } {
  if (failing) return { state: 'not-satisfied', reason: 'fail' };
  const pending = evidence.filter(r => r.status === 'pending').length;
  if (pending) {
    return {
      state: 'not-satisfied',
      reason: 'other',
      remarks: `Not yet determined: ${pending} check results await the project's first CI evidence (status pending in Forge).`,
    };
  }
  return { state: 'satisfied', reason: 'pass' };
}

export const SIGNATURE_RESOURCE_TITLE = 'Forge evidence signature';
export const CHECKPOINT_RESOURCE_TITLE = 'Forge history checkpoint';

/** The first checkpoint (sorted by seq) covering `seq`, by binary search. */
function coveringCheckpoint(
  sorted: SignedCheckpoint[],
  seq: number,
): CheckpointRef | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  const found = sorted[lo];
  return found ? { seq: found.seq, at: found.at } : undefined;
}

/** A UUID (v5 layout) derived from a hash, so the same evidence always gets the same ids. */
function uuidFrom(text: string): string {
  const h = sha256(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${(
    (parseInt(h[16], 16) & 0x3) |
    0x8
  ).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
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
      history: HistoryService;
    },
  ) {}

  /**
   * Collects the evidence, then checkpoints the history so that one signed checkpoint covers all of it. The rows come
   * from tables a database writer could change (exemptions, gate evaluations, results), so the history is verified
   * first (the same check as GET /history/verify: every record's keyed hash, and every exemption, gate evaluation and
   * current result against its newest ledger record): evidence is never signed from a history that does not verify.
   */
  async collect(query: EvidenceQuery): Promise<EvidenceSet> {
    await this.assertHistoryVerifies();
    const rows = await this.collectRows(query);
    const decisions = await this.collectDecisions(query, rows);
    const checkpoint = await this.deps.history.checkpoint();
    const checkpoints = await this.deps.history.listCheckpoints();
    for (const row of rows)
      if (row.historySeq > 0)
        row.checkpoint = coveringCheckpoint(checkpoints, row.historySeq);
    for (const decision of decisions)
      decision.checkpoint = coveringCheckpoint(checkpoints, decision.ledgerSeq);
    return {
      query,
      rows,
      decisions,
      checkpoint,
      exportedAt: new Date().toISOString(),
    };
  }

  /** Refuses (409) when the history does not verify, naming the first record that does not match. */
  private async assertHistoryVerifies(): Promise<void> {
    const verification = await this.deps.history.verify();
    if (verification.ok) return;
    const broken = verification.firstBrokenLink;
    const where = [broken?.record, broken?.table].filter(Boolean).join(', ');
    throw new ConflictError(
      `Evidence is not exported from a history that does not verify${
        broken
          ? `: the history was changed outside Forge at record ${broken.seq}${
              where ? ` (${where})` : ''
            }: ${broken.reason}`
          : ''
      }. Run verify (GET /api/compliance/history/verify, or the History chain card on Compliance > Evidence) and restore the record before exporting.`,
    );
  }

  /** The export in the requested format, signed so that an auditor can check it offline. */
  async export(
    query: EvidenceQuery,
    format: 'oscal' | 'csv',
  ): Promise<EvidenceExport> {
    const set = await this.collect(query);
    const stamp = query.asOf.toISOString().slice(0, 10);
    if (format === 'csv') {
      return {
        body: this.toCsv(set),
        contentType: 'text/csv; charset=utf-8',
        filename: `forge-evidence-${stamp}.csv`,
      };
    }
    return {
      body: JSON.stringify(this.toOscal(set)),
      contentType: 'application/json; charset=utf-8',
      filename: `forge-evidence-${stamp}.oscal.json`,
    };
  }

  /**
   * Every exemption and approval event in scope up to the date, from the history (not from the exemptions table,
   * whose rows a database writer could change): requests, decisions and revocations.
   */
  private async collectDecisions(
    query: EvidenceQuery,
    rows: EvidenceRow[],
  ): Promise<EvidenceDecision[]> {
    const asOf = query.asOf.toISOString();
    let inScope: (entityRef: string) => boolean = () => true;
    if (query.scope.type !== 'org') {
      const refs = new Set<string>(rows.map(r => r.entityRef));
      rows.forEach(r => r.ownerRef && refs.add(r.ownerRef));
      refs.add(query.scope.ref);
      if (query.scope.type === 'group') {
        const groups = await this.deps.catalog.listGroups();
        descendantGroups(query.scope.ref, groups).forEach(g => refs.add(g));
      }
      inScope = ref => refs.has(ref);
    }
    // With a framework or control chosen: the decisions about checks that evidence it.
    let wanted: Set<string> | undefined;
    if (query.controlId || query.framework) {
      const controls = new Map(
        this.deps.loader.policy.packs.flatMap(p =>
          p.controls.map(c => [c.id, c]),
        ),
      );
      wanted = new Set(
        this.deps.loader.policy.packs
          .flatMap(p => p.checks)
          .filter(c =>
            c.controls.some(
              id =>
                (!query.controlId || id === query.controlId) &&
                (!query.framework ||
                  controls.get(id)?.framework === query.framework),
            ),
          )
          .map(c => c.id),
      );
    }
    const records = await this.deps.store.listLedger('exemption', asOf);
    return records
      .filter(r => inScope(String(r.body.entity_ref)))
      .filter(r => !wanted || wanted.has(String(r.body.check_id)))
      .map(r => {
        const b = r.body as Record<string, string | null>;
        const requested =
          r.event === 'requested' ||
          (r.event === 'imported' && b.status === 'pending');
        return {
          exemptionId: r.recordId,
          kind: b.kind as ExemptionKind,
          entityRef: b.entity_ref ?? '',
          checkId: b.check_id ?? '',
          event: r.event,
          status: b.status ?? '',
          actor: (requested ? b.requested_by : b.decided_by) ?? '',
          at: (requested ? b.requested_at : b.decided_at) ?? r.recordedAt,
          justification: b.justification ?? '',
          compensatingControl: b.compensating_control ?? '',
          decisionNote: requested ? undefined : b.decision_note ?? undefined,
          requestedBy: b.requested_by ?? '',
          requestedAt: b.requested_at ?? '',
          expiresAt: b.expires_at ?? '',
          ledgerSeq: r.seq,
          ledgerHash: r.hash,
          ...(b.subject ? { subject: parseSubject(b.subject) } : {}),
        };
      });
  }

  /**
   * Every exemption approved as of `asOf` (by its newest ledger record on or before it), decided by then and not
   * expired at it, newest decision first.
   */
  private async exemptionsInForce(asOf: string): Promise<Exemption[]> {
    const newest = new Map<string, LedgerRecord>();
    for (const record of await this.deps.store.listLedger('exemption', asOf))
      newest.set(record.recordId, record); // in order of seq: the last one is the state as of the date
    return [...newest.values()]
      .map(r => toExemption(r.body))
      .filter(
        e =>
          e.status === 'approved' &&
          e.decidedAt !== undefined &&
          Date.parse(e.decidedAt) <= Date.parse(asOf) &&
          Date.parse(e.expiresAt) > Date.parse(asOf),
      )
      .sort((a, b) => b.decidedAt!.localeCompare(a.decidedAt!));
  }

  private async collectRows(query: EvidenceQuery): Promise<EvidenceRow[]> {
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

    // The exemptions in force on the date, as the history holds them then (not the table as it is now: a later
    // request for the same check, rejected, or a revocation after the date must not change what applied then).
    const exemptions = await this.exemptionsInForce(asOf);
    const exemptionFor = (
      entityRef: string,
      checkId: string,
      message: string | undefined,
    ) => {
      const candidates = exemptions.filter(
        e =>
          e.checkId === checkId &&
          (e.entityRef === entityRef || e.entityRef === ownerOf.get(entityRef)),
      );
      // The one that exempted the result names itself in the result's message (evaluator: "(exemption <id>)").
      return (
        candidates.find(e => message?.endsWith(`(exemption ${e.id})`)) ??
        candidates[0]
      );
    };

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
    // Every gate evaluation has its ledger record (verified above); a row without one is refused, never exported
    // with seq 0. All records, not only those up to asOf: the row's time and its record's may differ by a moment.
    const gateSeq = new Map<string, number>();
    for (const r of await this.deps.store.listLedger('gate-evaluation'))
      if (!gateSeq.has(r.recordId)) gateSeq.set(r.recordId, r.seq);
    const orphan = gateRecords.find(g => !gateSeq.has(g.id));
    if (orphan)
      throw new ConflictError(
        `Evidence is not exported: gate evaluation ${orphan.id} of ${orphan.entityRef} (compliance_gate_evaluations) has no record in the history; it was put into the table outside Forge. Run verify (GET /api/compliance/history/verify) and remove the row.`,
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
          historySeq: gateSeq.get(record.id)!,
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
        exemption: exemptionFor(h.entityRef, h.checkId, h.message),
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

  /**
   * CSV for a spreadsheet: one line per result, gate result and exemption or approval event (column `source`),
   * written with the suite's CSV writer (it neutralises spreadsheet formulas). Then the query it answers:
   * `"forge-scope"`, scope type (org, group, entity), group or entity ref, framework, control (empty for all), as-of
   * date, export time. Then the covering checkpoint:
   * `"forge-checkpoint"`, seq, head, time, key id, signature; the last line is the signature: `"forge-signature"`,
   * key id, Ed25519 signature of everything before that line, the checkpoint line included (so a later checkpoint
   * cannot be swapped in); scripts/verify-evidence.mjs checks it.
   */
  toCsv(set: EvidenceSet): string {
    type Line = { row?: EvidenceRow; decision?: EvidenceDecision };
    const r =
      <V extends string | number | readonly string[] | undefined>(
        f: (row: EvidenceRow) => V,
      ) =>
      (l: Line) =>
        l.row ? f(l.row) : undefined;
    const subjectOf = (l: Line) =>
      l.row?.exemption?.subject ?? l.decision?.subject;
    const columns: CsvColumn<Line>[] = [
      { header: 'source', value: l => l.row?.source ?? 'decision' },
      {
        header: 'entity_ref',
        value: l => l.row?.entityRef ?? l.decision!.entityRef,
      },
      { header: 'owner_ref', value: r(x => x.ownerRef) },
      {
        header: 'check_id',
        value: l => l.row?.checkId ?? l.decision!.checkId,
      },
      { header: 'check_title', value: r(x => x.checkTitle) },
      { header: 'severity', value: r(x => x.severity) },
      { header: 'controls', value: r(x => x.controls) },
      { header: 'status', value: l => l.row?.status ?? l.decision!.status },
      { header: 'message', value: r(x => x.message) },
      { header: 'pack', value: r(x => x.packName) },
      { header: 'pack_version', value: r(x => x.packVersion) },
      { header: 'rule_hash', value: r(x => x.ruleHash) },
      { header: 'facts_hash', value: r(x => x.factsHash) },
      {
        header: 'evaluated_at',
        value: l => l.row?.evaluatedAt ?? l.decision!.at,
      },
      {
        header: 'history_seq',
        value: l => (l.row ? l.row.historySeq : l.decision!.ledgerSeq),
      },
      {
        header: 'history_hash',
        value: l => l.row?.historyHash ?? l.decision!.ledgerHash,
      },
      {
        header: 'checkpoint_seq',
        value: l => (l.row ?? l.decision!).checkpoint?.seq,
      },
      {
        header: 'checkpoint_at',
        value: l => (l.row ?? l.decision!).checkpoint?.at,
      },
      {
        header: 'exemption_id',
        value: l => l.row?.exemption?.id ?? l.decision?.exemptionId,
      },
      {
        header: 'exemption_kind',
        value: l => l.row?.exemption?.kind ?? l.decision?.kind,
      },
      { header: 'decision_event', value: l => l.decision?.event },
      { header: 'decision_by', value: l => l.decision?.actor },
      { header: 'decision_at', value: l => l.decision?.at },
      { header: 'decision_note', value: l => l.decision?.decisionNote },
      {
        header: 'exemption_status',
        value: l => l.row?.exemption?.status ?? l.decision?.status,
      },
      {
        header: 'exemption_requested_by',
        value: l => l.row?.exemption?.requestedBy ?? l.decision?.requestedBy,
      },
      {
        header: 'exemption_decided_by',
        value: r(x => x.exemption?.decidedBy),
      },
      {
        header: 'exemption_decided_at',
        value: r(x => x.exemption?.decidedAt),
      },
      {
        header: 'exemption_expires_at',
        value: l => l.row?.exemption?.expiresAt ?? l.decision?.expiresAt,
      },
      {
        header: 'exemption_justification',
        value: l =>
          l.row?.exemption?.justification ?? l.decision?.justification,
      },
      {
        header: 'exemption_compensating_control',
        value: l =>
          l.row?.exemption?.compensatingControl ??
          l.decision?.compensatingControl,
      },
      { header: 'gate_decision', value: r(x => x.gate?.decision) },
      { header: 'gate_task_id', value: r(x => x.gate?.taskId) },
      { header: 'gate_template', value: r(x => x.gate?.templateRef) },
      { header: 'gate_recorded_by', value: r(x => x.gate?.recordedBy) },
      // What a gate approval approved (issue 10): the facts the approver saw, next to who decided and why.
      {
        header: 'approval_template',
        value: l => subjectOf(l)?.templateRef ?? undefined,
      },
      { header: 'approval_owner', value: l => subjectOf(l)?.ownerRef },
      {
        header: 'approval_classification',
        value: l => subjectOf(l)?.classification ?? undefined,
      },
      {
        header: 'approval_restricted_sources',
        value: l => subjectOf(l)?.restrictedSources,
      },
      {
        header: 'approval_cost_monthly',
        value: l => subjectOf(l)?.cost?.monthlyTotal,
      },
      {
        header: 'approval_cost_threshold',
        value: l => subjectOf(l)?.cost?.approvalThreshold,
      },
      {
        header: 'approval_cost_currency',
        value: l => subjectOf(l)?.cost?.currency,
      },
    ];
    const body = toCsv<Line>(
      [
        ...set.rows.map(row => ({ row })),
        ...set.decisions.map(decision => ({ decision })),
      ],
      columns,
    );
    const cp = set.checkpoint;
    // Hex, digits and ISO times only: no cell here can start a formula or need escaping.
    const line = (cells: Array<string | number>) =>
      `${cells.map(v => `"${v}"`).join(',')}\r\n`;
    // What was asked for, signed with the rows (OSCAL signs it in its title): a file of one entity cannot be passed
    // off as a team's, a control's as the whole framework's, or one date's as another's.
    const { query } = set;
    const scope = toCsv<string[]>(
      [
        [
          'forge-scope',
          query.scope.type,
          query.scope.type === 'org' ? '' : query.scope.ref,
          query.framework ?? '',
          query.controlId ?? '',
          query.asOf.toISOString(),
          set.exportedAt ?? new Date().toISOString(),
        ],
      ],
      [0, 1, 2, 3, 4, 5, 6].map(i => ({ header: '', value: l => l[i] })),
    ).replace(/^[^\r]*\r\n/, '');
    const signed = cp
      ? `${body}${scope}${line([
          'forge-checkpoint',
          cp.seq,
          cp.head,
          cp.at,
          cp.keyId,
          cp.signature,
        ])}`
      : `${body}${scope}`;
    return `${signed}${line([
      'forge-signature',
      this.deps.history.keyId,
      this.deps.history.signExport(signed),
    ])}`;
  }

  /** OSCAL 1.1.2 assessment-results: one result, an observation per check result, a finding per control. */
  toOscal(set: EvidenceSet): Record<string, unknown> {
    const { rows, query } = set;
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
        { name: 'history-seq', ns: 'urn:forge', value: String(r.historySeq) },
        ...(r.checkpoint
          ? [
              {
                name: 'checkpoint-seq',
                ns: 'urn:forge',
                value: String(r.checkpoint.seq),
              },
              {
                name: 'checkpoint-at',
                ns: 'urn:forge',
                value: r.checkpoint.at,
              },
            ]
          : []),
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

    // Each exemption or approval event is an observation of the history: who, when, why, and its ledger record.
    const decisionObservations = set.decisions.map(d => ({
      uuid: uuidFrom(`${d.ledgerHash}:decision`),
      title: `${d.kind === 'approval' ? 'Approval' : 'Exemption'} ${
        d.exemptionId
      } ${d.event} - ${d.entityRef}`,
      description: `${d.actor} ${
        d.event === 'imported' ? `held (${d.status})` : d.event
      } the ${d.kind} of ${d.checkId} for ${d.entityRef} on ${d.at}.`,
      methods: ['EXAMINE'],
      types: ['historic'],
      subjects: [
        {
          'subject-uuid': uuidFrom(d.entityRef),
          type: 'component',
          title: d.entityRef,
        },
      ],
      collected: d.at,
      props: [
        { name: 'evidence-source', ns: 'urn:forge', value: 'decision' },
        { name: 'exemption-id', ns: 'urn:forge', value: d.exemptionId },
        { name: 'exemption-kind', ns: 'urn:forge', value: d.kind },
        { name: 'check-id', ns: 'urn:forge', value: d.checkId },
        { name: 'decision-event', ns: 'urn:forge', value: d.event },
        { name: 'exemption-status', ns: 'urn:forge', value: d.status },
        { name: 'decision-by', ns: 'urn:forge', value: d.actor || 'unknown' },
        { name: 'decision-at', ns: 'urn:forge', value: d.at },
        { name: 'requested-by', ns: 'urn:forge', value: d.requestedBy },
        { name: 'expires-at', ns: 'urn:forge', value: d.expiresAt },
        { name: 'history-seq', ns: 'urn:forge', value: String(d.ledgerSeq) },
        { name: 'history-hash', ns: 'urn:forge', value: d.ledgerHash },
        ...(d.checkpoint
          ? [
              {
                name: 'checkpoint-seq',
                ns: 'urn:forge',
                value: String(d.checkpoint.seq),
              },
              {
                name: 'checkpoint-at',
                ns: 'urn:forge',
                value: d.checkpoint.at,
              },
            ]
          : []),
        ...subjectProps(d.subject),
      ],
      remarks: `${
        d.subject ? `${describeApprovalSubject(d.subject)} ` : ''
      }Justification: ${d.justification} Compensating control: ${
        d.compensatingControl
      }${d.decisionNote ? ` Decision note: ${d.decisionNote}` : ''}`,
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
          // OSCAL's objective status is satisfied or not-satisfied. A control whose checks await their first CI
          // evidence (pending) is not shown to be satisfied, but nothing failed either: not-satisfied with the reason
          // 'other' (OSCAL: pass, fail, other) and remarks saying what is awaited, never 'satisfied' and never 'fail'.
          status: objectiveStatus(evidence, failing.length),
        },
        'related-observations': evidence.map(r => ({
          'observation-uuid': uuidFrom(`${r.historyHash}:observation`),
        })),
      };
    });

    const now = new Date().toISOString();
    const document = {
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
            observations: [...observations, ...decisionObservations],
            findings,
          },
        ],
        'back-matter': { resources: [...this.checkpointResource(set)] },
      },
    };
    return this.signOscal(document);
  }

  private checkpointResource(set: EvidenceSet) {
    const cp = set.checkpoint;
    if (!cp) return [];
    return [
      {
        uuid: uuidFrom(`checkpoint:${cp.seq}:${cp.head}`),
        title: CHECKPOINT_RESOURCE_TITLE,
        description: `The history had ${cp.seq} records when this evidence was exported; every record in it is covered.`,
        props: [
          { name: 'checkpoint-seq', ns: 'urn:forge', value: String(cp.seq) },
          { name: 'checkpoint-head', ns: 'urn:forge', value: cp.head },
          { name: 'checkpoint-at', ns: 'urn:forge', value: cp.at },
          { name: 'key-id', ns: 'urn:forge', value: cp.keyId },
          { name: 'signature', ns: 'urn:forge', value: cp.signature },
        ],
      },
    ];
  }

  /**
   * Adds the signature resource: Ed25519 over the canonical JSON (keys sorted) of the document without it. The
   * canonical form makes the signature independent of how the JSON is indented when saved or re-saved.
   */
  private signOscal(recorded: {
    'assessment-results': Record<string, any>;
  }): Record<string, unknown> {
    // Text people typed (justifications, notes) is made safe to open in a spreadsheet before it is signed, as in
    // the CSV export: GRC tools flatten OSCAL into sheets.
    const document = neutraliseSpreadsheetFormulasDeep(recorded);
    const signature = this.deps.history.signExport(canonicalJson(document));
    document['assessment-results']['back-matter'].resources.push({
      uuid: uuidFrom(`signature:${signature}`),
      title: SIGNATURE_RESOURCE_TITLE,
      description:
        'Ed25519 signature of "forge-evidence/v1", a line feed and the canonical JSON of this document without this resource. Verify offline with scripts/verify-evidence.mjs and the Forge history public key.',
      props: [
        { name: 'algorithm', ns: 'urn:forge', value: 'Ed25519' },
        { name: 'key-id', ns: 'urn:forge', value: this.deps.history.keyId },
        { name: 'signature', ns: 'urn:forge', value: signature },
      ],
    });
    return document;
  }
}
