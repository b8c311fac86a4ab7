/**
 * The sections of the outcomes page, in the order the seed's success criteria name them.
 *
 * @public
 */
export const OUTCOME_SECTIONS = [
  'speed',
  'self-service',
  'adoption',
  'compliance',
  'audit',
  'cost',
  'satisfaction',
] as const;

/** @public */
export type OutcomeSection = (typeof OUTCOME_SECTIONS)[number];

/** @public */
export type OutcomeUnit =
  | 'minutes'
  | 'seconds'
  | 'percent'
  | 'count'
  | 'nps'
  | 'currency';

/**
 * One figure of the outcomes page: its value now, its monthly history, and the words that say what it is and where
 * it comes from, shown beside it on the page and returned by the API and the action alike.
 *
 * @public
 */
export interface OutcomeFigure {
  id: string;
  section: OutcomeSection;
  title: string;
  /** Null when there is nothing to measure yet (the page says so with `display`). */
  value: number | null;
  unit: OutcomeUnit;
  /** The value as a person reads it, e.g. "14 min (p90 38 min)". */
  display: string;
  target?: {
    value: number;
    comparison: 'atLeast' | 'atMost' | 'above';
    display: string;
  };
  /** Whether the value meets the target (absent without a target or a value). */
  met?: boolean;
  definition: string;
  source: string;
  /** One value per month, oldest first; null for a month without data. */
  series: Array<{ period: string; value: number | null }>;
  /** Break-downs (per blueprint, per framework, per team), each a label and a value. */
  details?: Array<{ label: string; value: string }>;
}

/**
 * What the outcomes page shows for one scope.
 *
 * @public
 */
export interface OutcomesReport {
  /** 'org' or a group ref such as group:default/retention-analytics. */
  scope: string;
  scopeTitle: string;
  generatedAt: string;
  /** The months of every series, oldest first (YYYY-MM). */
  months: string[];
  figures: OutcomeFigure[];
  /** The scopes the caller may look at: 'org' (when allowed) and teams. */
  scopes: Array<{ scope: string; title: string }>;
}

/**
 * A project the caller created with a blueprint and has not rated yet.
 *
 * @public
 */
export interface SurveyPrompt {
  entityRef: string;
  blueprint: string;
  createdAt: string;
}

/**
 * An answer to "How likely are you to recommend Forge to a colleague?", about one project.
 *
 * @public
 */
export interface SurveyResponse {
  entityRef: string;
  score: number;
  comment?: string;
  respondent: string;
  answeredAt: string;
}
