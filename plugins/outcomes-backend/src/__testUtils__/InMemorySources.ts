import {
  BudgetInfo,
  CatalogGroup,
  CatalogProject,
  ControlCoverage,
  ExemptionInfo,
  FailingCheckInfo,
  ForgeSources,
  ScaffolderTask,
  ScaffolderTaskEvent,
} from '../service/ForgeSources';

/** The rest of Forge as plain data, for tests of the figures and the collector. */
export class InMemorySources implements ForgeSources {
  tasks: ScaffolderTask[] = [];
  events = new Map<string, ScaffolderTaskEvent[]>();
  groupList: CatalogGroup[] = [
    { ref: 'group:default/org', title: 'Org', type: 'organization' },
    {
      ref: 'group:default/data',
      title: 'Data',
      type: 'department',
      parentRef: 'group:default/org',
    },
    {
      ref: 'group:default/alpha',
      title: 'Alpha',
      type: 'team',
      parentRef: 'group:default/data',
    },
    {
      ref: 'group:default/beta',
      title: 'Beta',
      type: 'team',
      parentRef: 'group:default/data',
    },
    {
      ref: 'group:default/gamma',
      title: 'Gamma',
      type: 'team',
      parentRef: 'group:default/org',
    },
  ];
  projectList: CatalogProject[] = [];
  exemptionList: ExemptionInfo[] = [];
  failing: FailingCheckInfo[] = [];
  coverage: ControlCoverage[] = [
    { framework: 'SOC2', controls: 10, covered: 8 },
    { framework: 'NIST-800-53', controls: 30, covered: 21 },
  ];
  budgetList: BudgetInfo[] = [];
  evidenceExports: string[] = [];
  eventRequests: string[] = [];

  async scaffolderTasks() {
    return this.tasks;
  }
  async scaffolderTaskEvents(taskId: string) {
    this.eventRequests.push(taskId);
    return this.events.get(taskId) ?? [];
  }
  async groups() {
    return this.groupList;
  }
  async projects() {
    return this.projectList;
  }
  async exemptions() {
    return this.exemptionList;
  }
  async failingChecks(groupRef: string) {
    const within = (ref: string): boolean => {
      if (ref === groupRef) return true;
      const parent = this.groupList.find(g => g.ref === ref)?.parentRef;
      return parent ? within(parent) : false;
    };
    return this.failing.filter(f => within(f.ownerRef));
  }
  async controlCoverage() {
    return this.coverage;
  }
  async timeEvidenceExport(framework: string) {
    this.evidenceExports.push(framework);
    return { durationMs: 1234, bytes: 4096 };
  }
  async budgets() {
    return this.budgetList;
  }
}
