/** A blueprint run as Forge keeps it. Times are ISO 8601. */
export interface ProjectRun {
  taskId: string;
  blueprint: string;
  ownerRef?: string;
  createdBy?: string;
  entityRef?: string;
  status: 'open' | 'completed' | 'failed' | 'cancelled';
  submittedAt: string;
  completedAt?: string;
  environmentRequestedAt?: string;
}

export interface StoredSurveyResponse {
  entityRef: string;
  respondent: string;
  score: number;
  comment?: string;
  answeredAt: string;
}

export interface BudgetSnapshot {
  day: string;
  scopeRef: string;
  month: string;
  monthlyAmount: number;
  monthToDate: number;
  forecastMonthEnd: number;
  currency: string;
}

export interface EvidenceTiming {
  framework: string;
  measuredAt: string;
  durationMs: number;
  bytes: number;
}

export interface FigureSnapshot {
  day: string;
  scope: string;
  figureId: string;
  value: number;
}

/** What the outcomes backend stores itself; everything else it reads from the other plugins when asked. */
export interface OutcomesStore {
  /** Inserts or updates runs by task id. */
  upsertRuns(runs: ProjectRun[]): Promise<void>;
  listRuns(options?: { submittedSince?: string }): Promise<ProjectRun[]>;
  /** Task ids whose run is finished (completed, failed or cancelled): they are not asked about again. */
  finishedRunIds(): Promise<Set<string>>;

  /** Stores an answer; false when this person already answered about this project (nothing is changed). */
  addSurveyResponse(response: StoredSurveyResponse): Promise<boolean>;
  listSurveyResponses(options?: {
    respondent?: string;
  }): Promise<StoredSurveyResponse[]>;

  /** Stores the day's snapshot of each budget, replacing an earlier one of the same day. */
  saveBudgetSnapshots(snapshots: BudgetSnapshot[]): Promise<void>;
  listBudgetSnapshots(options: {
    scopeRefs?: string[];
    month?: string;
  }): Promise<BudgetSnapshot[]>;

  /** Stores figures read live on a day, replacing earlier values of the same day. */
  saveFigureSnapshots(snapshots: FigureSnapshot[]): Promise<void>;
  listFigureSnapshots(options: {
    scope: string;
    sinceDay: string;
  }): Promise<FigureSnapshot[]>;

  addEvidenceTiming(timing: EvidenceTiming): Promise<void>;
  listEvidenceTimings(options?: { since?: string }): Promise<EvidenceTiming[]>;
}
