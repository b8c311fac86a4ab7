/**
 * What the outcomes backend reads from the rest of Forge, as plain data. One interface, so the figures are computed
 * and tested without HTTP; {@link BackstageForgeSources} reads the real plugins.
 */

/** A scaffolder task (a run of a blueprint), as GET /api/scaffolder/v2/tasks lists it. */
export interface ScaffolderTask {
  id: string;
  status: string;
  createdAt: string;
  createdBy?: string;
  templateRef?: string;
  parameters: Record<string, unknown>;
}

/** One event of a task: step progress (`log`) or the end of the run (`completion`). */
export interface ScaffolderTaskEvent {
  type: string;
  createdAt: string;
  body: {
    stepId?: string;
    status?: string;
    output?: { links?: Array<{ entityRef?: string }> };
  };
}

export interface CatalogGroup {
  ref: string;
  title: string;
  type?: string;
  parentRef?: string;
}

/** A component of the catalog; `blueprint` is its forge.io/blueprint annotation (platform-managed when set). */
export interface CatalogProject {
  ref: string;
  ownerRef?: string;
  blueprint?: string;
}

export interface ExemptionInfo {
  id: string;
  kind: 'exemption' | 'approval';
  entityRef: string;
  status: string;
  requestedAt: string;
  expiresAt: string;
}

export interface FailingCheckInfo {
  entityRef: string;
  ownerRef: string;
  checkId: string;
  severity: string;
}

export interface ControlCoverage {
  framework: string;
  controls: number;
  /** Controls at least one check of the loaded policy packs evidences. */
  covered: number;
}

export interface BudgetInfo {
  entityRef: string;
  month: string;
  currency: string;
  monthlyAmount: number;
  monthToDate: number;
  forecastMonthEnd: number;
}

export interface ForgeSources {
  scaffolderTasks(): Promise<ScaffolderTask[]>;
  scaffolderTaskEvents(taskId: string): Promise<ScaffolderTaskEvent[]>;
  groups(): Promise<CatalogGroup[]>;
  projects(): Promise<CatalogProject[]>;
  exemptions(): Promise<ExemptionInfo[]>;
  /** Failing checks of the entities a group owns, its sub-teams' included. */
  failingChecks(groupRef: string): Promise<FailingCheckInfo[]>;
  controlCoverage(): Promise<ControlCoverage[]>;
  /** Exports the evidence of a framework and says how long that took and how big it was. */
  timeEvidenceExport(
    framework: string,
  ): Promise<{ durationMs: number; bytes: number }>;
  budgets(): Promise<BudgetInfo[]>;
}
