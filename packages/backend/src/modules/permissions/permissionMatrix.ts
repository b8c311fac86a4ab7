/**
 * Who may use each entry point of the Forge plugins (every route and every action of compliance, cost, outcomes
 * and the blueprints), for the callers Forge has. This table is the documented rule: docs/permissions.md shows it (a test
 * fails when the page differs) and permissionMatrix.test.ts asserts every cell against a real backend.
 */

/** The callers of the matrix: people by role, and service principals by subject. */
export const CALLERS = [
  'guest',
  'member',
  'manager',
  'compliance',
  'security',
  'admin',
  'CI token',
  'other service',
  'scaffolder',
  'outcomes',
] as const;

/** @public */
export type MatrixCaller = (typeof CALLERS)[number];

/** What each caller is, in the demo organisation the test runs against. */
export const CALLER_DESCRIPTIONS: Record<MatrixCaller, string> = {
  guest: 'user:default/guest, member of Retention Analytics (owns churn-model)',
  member: 'user:default/mateo.garcia, data scientist in Fraud Science',
  manager:
    'user:default/priya.raman, engineering manager of Data Science (the department above Fraud Science)',
  compliance: 'user:default/daniel.moreau, GRC Office (compliance role)',
  security: 'user:default/fatima.haddad, Security Engineering (security role)',
  admin: 'user:default/noah.kim, Platform Admins (admin role)',
  'CI token': 'the static token of subject `ci` (FORGE_CI_TOKEN)',
  'other service':
    'a Backstage plugin with its own token that Forge grants nothing (`plugin:catalog`)',
  scaffolder:
    "the scaffolder's own token (`plugin:scaffolder`): the Forge blueprints",
  outcomes:
    "the outcomes plugin's own token (`plugin:outcomes`): the outcomes collector",
};

/** The service subject behind each service caller. */
export const SERVICE_SUBJECTS: Partial<Record<MatrixCaller, string>> = {
  'CI token': 'ci',
  'other service': 'plugin:catalog',
  scaffolder: 'plugin:scaffolder',
  outcomes: 'plugin:outcomes',
};

/** The service subjects Forge grants anything; each grant is the permissions of the matrix rows naming it. */
export type GrantedService = 'ci' | 'plugin:scaffolder' | 'plugin:outcomes';

type Role = 'member' | 'admin' | 'compliance' | 'security';

/**
 * Who may use an entry point: people (everyone signed in, the owners of the entity concerned, holders of some roles,
 * or nobody) and the service subjects granted it.
 */
export type Who = {
  people: 'everyone' | 'owners' | Role[] | 'nobody';
  services: GrantedService[] | 'all';
};

export type MatrixEntry = {
  /** `GET /api/compliance/policy-packs`, or `action compliance:get-entity-scorecard`. */
  id: string;
  permission: string;
  who: Who;
  /** Why, when it is not obvious from the permission. */
  note?: string;
  /** Reachable without any token (public: it describes an API and holds no data). */
  public?: boolean;
};

const everyone: Who = { people: 'everyone', services: [] };
/** Compliance reads: the blueprints read policy packs and exemptions, the outcomes collector what it reports. */
const readers: Who = {
  people: 'everyone',
  services: ['plugin:scaffolder', 'plugin:outcomes'],
};
/** Cost reads: the outcomes collector reads budgets (the blueprints read them on behalf of the person). */
const costReaders: Who = { people: 'everyone', services: ['plugin:outcomes'] };
const admins: Who = { people: ['admin'], services: [] };
const costRead = 'forge.cost.read';
const scorecardRead = 'forge.compliance.scorecard.read';

const compliance = (method: string, path: string) =>
  `${method} /api/compliance${path}`;
const cost = (method: string, path: string) =>
  `${method} /api/cost-insights${path}`;
const outcomes = (method: string, path: string) =>
  `${method} /api/outcomes${path}`;

const COST_READS = [
  '/last-complete-billing-date',
  '/user-groups',
  '/groups/:group/projects',
  '/groups/:group/daily-cost',
  '/projects/:project/daily-cost',
  '/entities/:entityRef/daily-cost',
  '/products',
  '/product-insights',
  '/metrics',
  '/metrics/:metric/daily',
  '/groups/:group/alerts',
  '/cost',
  '/overview',
  '/entities/:entityRef/summary',
  '/entities/:entityRef/breakdown',
  '/entities/:entityRef/export.csv',
  '/entities/:entityRef/top-drivers',
  '/groups/:group/summary',
  '/forecasts',
  '/anomalies',
  '/recommendations',
  '/budgets',
  '/budgets/:entityRef',
  '/ingestions',
  '/ingestions/:id',
];

export const PERMISSION_MATRIX: MatrixEntry[] = [
  // --- Compliance -------------------------------------------------------------------------------------------
  {
    id: compliance('GET', '/openapi.json'),
    permission: '(none)',
    who: { people: 'everyone', services: 'all' },
    note: 'the API description; any caller with a token',
  },
  {
    id: compliance('GET', '/policy-packs'),
    permission: scorecardRead,
    who: readers,
  },
  {
    id: compliance('POST', '/policy-packs/reload'),
    permission: 'forge.compliance.policy.reload',
    who: admins,
  },
  {
    id: compliance('GET', '/scorecards/:kind/:namespace/:name'),
    permission: scorecardRead,
    who: readers,
  },
  {
    id: compliance('GET', '/scorecards/:kind/:namespace/:name/history'),
    permission: scorecardRead,
    who: readers,
  },
  {
    id: compliance(
      'GET',
      '/scorecards/:kind/:namespace/:name/gate-evaluations',
    ),
    permission: scorecardRead,
    who: readers,
  },
  {
    id: compliance('POST', '/scorecards/:kind/:namespace/:name/evaluate'),
    permission: 'forge.compliance.evaluate',
    who: { people: 'everyone', services: ['plugin:scaffolder'] },
  },
  {
    id: compliance('POST', '/dry-run'),
    permission: scorecardRead,
    who: readers,
  },
  {
    id: compliance('POST', '/facts/:kind/:namespace/:name'),
    permission: 'forge.compliance.facts.push',
    who: { people: 'nobody', services: ['ci', 'plugin:scaffolder'] },
    note: 'the scaffolder only for a project it created within the hour',
  },
  {
    id: compliance('GET', '/exemptions'),
    permission: scorecardRead,
    who: readers,
    note: "the free text (justification, compensating control, decision note) only to compliance, security, the entity's owners and the requester",
  },
  {
    id: `${compliance('POST', '/exemptions')} (exemption of an entity)`,
    permission: 'forge.compliance.exemption.request',
    who: { people: 'owners', services: ['plugin:scaffolder'] },
    note: "the entity's owners",
  },
  {
    id: `${compliance(
      'POST',
      '/exemptions',
    )} (gate approval on behalf of a person)`,
    permission: 'forge.compliance.exemption.request',
    who: { people: 'nobody', services: ['plugin:scaffolder'] },
    note: 'approvals, team-wide exemptions and onBehalfOf: the blueprints only',
  },
  {
    id: compliance('POST', '/exemptions/:id/decision'),
    permission: 'forge.compliance.exemption.approve',
    who: { people: ['compliance'], services: [] },
    note: 'never the requester, never a service',
  },
  {
    id: compliance('POST', '/exemptions/:id/revoke'),
    permission: 'forge.compliance.exemption.approve',
    who: { people: ['compliance'], services: [] },
  },
  {
    id: compliance('POST', '/gate-evaluations'),
    permission: 'forge.compliance.gate.record',
    who: { people: 'nobody', services: ['plugin:scaffolder'] },
  },
  {
    id: compliance('GET', '/dashboard'),
    permission: scorecardRead,
    who: readers,
  },
  {
    id: compliance('GET', '/groups/:namespace/:name/failing-checks'),
    permission: scorecardRead,
    who: readers,
  },
  {
    id: compliance('GET', '/evidence'),
    permission: 'forge.compliance.evidence.export',
    who: { people: ['compliance', 'security'], services: [] },
  },
  {
    id: compliance('GET', '/evidence/timing'),
    permission: 'forge.compliance.evidence.time',
    who: { people: ['compliance', 'security'], services: ['plugin:outcomes'] },
    note: 'duration and size of an export, not the evidence',
  },
  {
    id: compliance('GET', '/history/verify'),
    permission: 'forge.compliance.evidence.export',
    who: { people: ['compliance', 'security'], services: [] },
  },
  {
    id: compliance('GET', '/history/public-key'),
    permission: 'forge.compliance.evidence.export',
    who: { people: ['compliance', 'security'], services: [] },
  },
  {
    id: compliance('GET', '/approval-check-ids'),
    permission: scorecardRead,
    who: readers,
  },
  {
    id: 'action compliance:get-entity-scorecard',
    permission: scorecardRead,
    who: readers,
  },
  {
    id: 'action compliance:list-failing-checks-for-group',
    permission: scorecardRead,
    who: readers,
  },
  {
    id: 'action compliance:request-compliance-exemption',
    permission: 'forge.compliance.exemption.request',
    who: { people: 'owners', services: ['plugin:scaffolder'] },
    note: "the entity's owners; the same rules as the REST route",
  },

  // --- Cost -------------------------------------------------------------------------------------------------
  {
    id: cost('GET', '/openapi.json'),
    permission: '(none)',
    who: { people: 'everyone', services: 'all' },
    public: true,
    note: 'the API description; public',
  },
  ...COST_READS.map(path => ({
    id: cost('GET', path),
    permission: costRead,
    who: costReaders,
  })),
  {
    id: cost('PUT', '/budgets/:entityRef'),
    permission: 'forge.cost.budget.manage',
    who: admins,
  },
  {
    id: cost('DELETE', '/budgets/:entityRef'),
    permission: 'forge.cost.budget.manage',
    who: admins,
  },
  {
    id: cost('POST', '/ingestions'),
    permission: 'forge.cost.upload',
    who: admins,
  },
  {
    id: 'action cost-insights:get-group-cost-forecast',
    permission: costRead,
    who: costReaders,
  },
  {
    id: 'action cost-insights:get-entity-top-cost-drivers',
    permission: costRead,
    who: costReaders,
  },

  // --- Blueprints -------------------------------------------------------------------------------------------
  {
    id: 'POST /api/scaffolder/forge/preview',
    permission: 'scaffolder.task.create',
    who: everyone,
  },
  {
    id: 'GET /api/scaffolder/forge/owners',
    permission: 'scaffolder.task.create',
    who: everyone,
    note: 'people only; any team for holders of forge.blueprint.owner.any (admins), else their own teams and those below',
  },

  // --- Outcomes ---------------------------------------------------------------------------------------------
  {
    id: outcomes('GET', '/openapi.json'),
    permission: '(none)',
    who: { people: 'everyone', services: 'all' },
    public: true,
    note: 'the API description; public',
  },
  {
    id: outcomes('GET', '/report'),
    permission: 'forge.outcomes.read',
    who: everyone,
    note: 'their own teams; the organisation and other teams with forge.outcomes.org.read (admin, compliance, security)',
  },
  {
    id: outcomes('GET', '/surveys/pending'),
    permission: 'forge.outcomes.read',
    who: everyone,
  },
  {
    id: outcomes('POST', '/surveys'),
    permission: 'forge.outcomes.survey.respond',
    who: everyone,
    note: 'people only, about a project they created',
  },
  {
    id: 'action outcomes:get-platform-outcomes',
    permission: 'forge.outcomes.read',
    who: everyone,
    note: 'the same rules as GET /report',
  },
];

/**
 * What each service subject is granted: exactly the permissions of the matrix rows that name it, so a grant no
 * entry point of the matrix needs cannot hide in config (permissionMatrix.test.ts compares it with both configs).
 */
export function grantsOf(subject: GrantedService): string[] {
  return [
    ...new Set(
      PERMISSION_MATRIX.filter(
        e => e.who.services !== 'all' && e.who.services.includes(subject),
      ).map(e => e.permission),
    ),
  ].sort();
}

/** Roles of the people callers. */
export const CALLER_ROLES: Partial<Record<MatrixCaller, Role[]>> = {
  guest: ['member'],
  member: ['member'],
  manager: ['member'],
  compliance: ['member', 'compliance'],
  security: ['member', 'security'],
  admin: ['member', 'admin'],
};

/** The people callers who own the entity the owner-only entry points are tried on (churn-model). */
export const OWNERS_OF_SAMPLE_ENTITY: MatrixCaller[] = ['guest'];

/** Whether the documented rule lets a caller use an entry point. */
export function allows(entry: MatrixEntry, caller: MatrixCaller): boolean {
  const subject = SERVICE_SUBJECTS[caller];
  const { people, services } = entry.who;
  if (subject) {
    return services === 'all' || (services as string[]).includes(subject);
  }
  if (people === 'everyone') return true;
  if (people === 'nobody') return false;
  if (people === 'owners') return OWNERS_OF_SAMPLE_ENTITY.includes(caller);
  return people.some(role => CALLER_ROLES[caller]?.includes(role));
}

const escape = (text: string) => text.replace(/\|/g, '\\|');

/** The matrix as the Markdown table docs/permissions.md shows. */
export function renderPermissionMatrix(): string {
  const header = `| entry point | permission | ${CALLERS.join(' | ')} |`;
  const rule = `| --- | --- | ${CALLERS.map(() => ':-:').join(' | ')} |`;
  const rows = PERMISSION_MATRIX.map(entry => {
    const cells = CALLERS.map(c => (allows(entry, c) ? '✓' : '—'));
    const permission = entry.note
      ? `\`${entry.permission}\` (${escape(entry.note)})`
      : `\`${entry.permission}\``;
    return `| \`${escape(entry.id)}\` | ${permission} | ${cells.join(' | ')} |`;
  });
  const callers = CALLERS.map(c => `- **${c}**: ${CALLER_DESCRIPTIONS[c]}`);
  return [
    ...callers,
    '',
    'Without a token every entry point answers 401, except the public ones (marked public).',
    '',
    header,
    rule,
    ...rows,
    '',
    "Blueprint runs (Backstage's own scaffolder routes and actions, decided by the Forge policy): a run is its author's",
    "and the admins'. Another person, whatever their role, gets 403 on the run and does not see it in lists. Services",
    'are not asked (Backstage lets every plugin token through): the outcomes collector reads every run; the CI token',
    'is refused by its `accessRestrictions` (the compliance plugin only).',
    '',
    renderBlueprintRunMatrix(),
  ].join('\n');
}

/**
 * Backstage's own scaffolder routes and actions on blueprint runs (scaffolder tasks), which the Forge policy decides
 * for people: a run is its author's and the admins'. Tried on a run `guest` started.
 */
export type BlueprintRunEntry = {
  id: string;
  permission: string;
  /** A list: everyone may call it, it answers only the runs the caller may read. */
  list?: boolean;
  note?: string;
};

const taskRead = 'scaffolder.task.read';
export const BLUEPRINT_RUN_MATRIX: BlueprintRunEntry[] = [
  {
    id: 'GET /api/scaffolder/v2/tasks',
    permission: taskRead,
    list: true,
    note: 'lists only the runs the caller may read',
  },
  { id: 'GET /api/scaffolder/v2/tasks/:taskId', permission: taskRead },
  {
    id: 'GET /api/scaffolder/v2/tasks/:taskId/eventstream',
    permission: taskRead,
  },
  { id: 'GET /api/scaffolder/v2/tasks/:taskId/events', permission: taskRead },
  {
    id: 'POST /api/scaffolder/v2/tasks/:taskId/cancel',
    permission: `scaffolder.task.cancel\` and \`${taskRead}`,
  },
  {
    id: 'POST /api/scaffolder/v2/tasks/:taskId/retry',
    permission: `scaffolder.task.create\` and \`${taskRead}`,
  },
  {
    id: 'action scaffolder:list-scaffolder-tasks',
    permission: taskRead,
    list: true,
    note: 'lists only the runs the caller may read',
  },
  { id: 'action scaffolder:get-scaffolder-task-logs', permission: taskRead },
];

/** The people callers of the blueprint-run table, and the one who started the run. */
export const RUN_CALLERS = CALLERS.filter(c => CALLER_ROLES[c]);
export const RUN_AUTHOR: MatrixCaller = 'guest';

/** Whether a person may read, cancel and retry the run `guest` started: its author and admins. */
export function allowsOnRun(caller: MatrixCaller): boolean {
  return caller === RUN_AUTHOR || !!CALLER_ROLES[caller]?.includes('admin');
}

/** The blueprint-run table docs/permissions.md shows. */
export function renderBlueprintRunMatrix(): string {
  const header = `| entry point, on a run guest started | permission | ${RUN_CALLERS.join(
    ' | ',
  )} |`;
  const rule = `| --- | --- | ${RUN_CALLERS.map(() => ':-:').join(' | ')} |`;
  const rows = BLUEPRINT_RUN_MATRIX.map(entry => {
    const cells = RUN_CALLERS.map(c => (allowsOnRun(c) ? '✓' : '—'));
    const permission = entry.note
      ? `\`${entry.permission}\` (${escape(entry.note)})`
      : `\`${entry.permission}\``;
    return `| \`${escape(entry.id)}\` | ${permission} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}
