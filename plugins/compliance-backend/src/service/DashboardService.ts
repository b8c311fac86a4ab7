import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import {
  ComplianceDashboard,
  FailingCheck,
  parseDuration,
  TeamRollup,
} from '@internal/plugin-compliance-common';
import { ComplianceStore } from '../database/ComplianceStore';
import { CatalogReader } from './CatalogReader';
import { graceAnchors } from './gracePeriods';
import { descendantGroups, parentsOf } from './groups';
import { PolicyPackLoader } from './PolicyPackLoader';

const DAY = 24 * 3600 * 1000;

/** Roll-ups for managers: teams (with all their sub-teams) against control families, trends, worst entities. */
export class DashboardService {
  constructor(
    private readonly deps: {
      store: ComplianceStore;
      loader: PolicyPackLoader;
      catalog: CatalogReader;
      now?: () => Date;
    },
  ) {}

  async dashboard(options: {
    rootGroupRef?: string;
    weeks?: number;
  }): Promise<ComplianceDashboard> {
    const groups = await this.deps.catalog.listGroups();
    const parents = parentsOf(groups);
    const refs = groups.map(g => stringifyEntityRef(g));
    const root =
      options.rootGroupRef ?? refs.find(r => !parents.get(r)) ?? refs[0];
    if (!root || !refs.includes(root))
      throw new NotFoundError(
        `No group ${options.rootGroupRef} in the catalog`,
      );

    const { packs } = this.deps.loader.policy;
    const familyOf = new Map(
      packs.flatMap(p =>
        p.controls.map(c => [
          c.id,
          `${c.framework === 'SOC2' ? 'SOC 2' : 'NIST'} ${c.family}`,
        ]),
      ),
    );
    const families = [...new Set(familyOf.values())].sort();
    const summaries = await this.deps.store.listSummaries();
    const titleOf = new Map(
      groups.map(g => [
        stringifyEntityRef(g),
        g.metadata.title ?? g.metadata.name,
      ]),
    );

    const inScope = descendantGroups(root, groups);
    const depthOf = (ref: string) => {
      let depth = 0;
      for (
        let cur: string | undefined = ref;
        cur && cur !== root && depth < 50;
        cur = parents.get(cur)
      )
        depth++;
      return depth;
    };

    const teams: TeamRollup[] = [...inScope].map(groupRef => {
      const team = descendantGroups(groupRef, groups);
      const owned = summaries.filter(s => s.ownerRef && team.has(s.ownerRef));
      const familyCounts: TeamRollup['families'] = {};
      for (const family of families)
        familyCounts[family] = { pass: 0, fail: 0, exempt: 0, rate: 1 };
      for (const s of owned) {
        for (const [controlId, status] of Object.entries(s.controls)) {
          const family = familyOf.get(controlId);
          // Pending controls await CI evidence: neither passing nor failing, as in the score.
          if (!family || status === 'not_applicable' || status === 'pending')
            continue;
          familyCounts[family][status as 'pass' | 'fail' | 'exempt'] += 1;
        }
      }
      for (const f of Object.values(familyCounts)) {
        const total = f.pass + f.fail + f.exempt;
        f.rate = total === 0 ? 1 : (f.pass + f.exempt) / total;
      }
      return {
        groupRef,
        title: titleOf.get(groupRef) ?? groupRef,
        parentRef: groupRef === root ? undefined : parents.get(groupRef),
        depth: depthOf(groupRef),
        entityCount: owned.length,
        averageScore: owned.length
          ? Math.round(owned.reduce((n, s) => n + s.score, 0) / owned.length)
          : 100,
        families: familyCounts,
      };
    });

    // Trends from the score history (changes only): the state at the end of each week.
    const now = this.deps.now?.() ?? new Date();
    const weeks = options.weeks ?? 12;
    const rootTeam = descendantGroups(root, groups);
    const trend: ComplianceDashboard['trend'] = [];
    for (let w = weeks - 1; w >= 0; w--) {
      const at = new Date(now.getTime() - w * 7 * DAY);
      const state = (
        await this.deps.store.summariesAsOf(at.toISOString())
      ).filter(s => s.ownerRef && rootTeam.has(s.ownerRef));
      if (state.length === 0) continue;
      trend.push({
        date: at.toISOString().slice(0, 10),
        averageScore: Math.round(
          state.reduce((n, s) => n + s.score, 0) / state.length,
        ),
        failingChecks: state.reduce((n, s) => n + s.failing, 0),
      });
    }

    const failingByEntity = new Map<string, number>();
    for (const r of await this.deps.store.listCurrentFailing()) {
      failingByEntity.set(
        r.entityRef,
        (failingByEntity.get(r.entityRef) ?? 0) + 1,
      );
    }
    // A new project whose only open checks await its first CI evidence is not among the worst: it is listed apart,
    // with when its grace period ends.
    const pending = await this.pendingByEntity();
    const awaitingEvidence = summaries
      .filter(
        s =>
          s.ownerRef &&
          rootTeam.has(s.ownerRef) &&
          pending.has(s.entityRef) &&
          !failingByEntity.has(s.entityRef),
      )
      .map(s => ({
        entityRef: s.entityRef,
        ownerRef: s.ownerRef!,
        score: s.score,
        level: s.level,
        pending: pending.get(s.entityRef)!.count,
        nextDueAt: pending.get(s.entityRef)!.nextDueAt,
      }))
      .sort(
        (a, b) =>
          (a.nextDueAt ?? '').localeCompare(b.nextDueAt ?? '') ||
          a.entityRef.localeCompare(b.entityRef),
      );
    const worstEntities = summaries
      .filter(s => s.ownerRef && rootTeam.has(s.ownerRef))
      .filter(
        s => failingByEntity.has(s.entityRef) || !pending.has(s.entityRef),
      )
      .sort(
        (a, b) => a.score - b.score || a.entityRef.localeCompare(b.entityRef),
      )
      .slice(0, 10)
      .map(s => ({
        entityRef: s.entityRef,
        ownerRef: s.ownerRef!,
        score: s.score,
        level: s.level,
        failing: failingByEntity.get(s.entityRef) ?? 0,
      }));

    teams.sort((a, b) => a.depth - b.depth || a.title.localeCompare(b.title));
    return {
      rootGroupRef: root,
      families,
      teams,
      trend,
      worstEntities,
      awaitingEvidence,
    };
  }

  /** Entities with checks awaiting CI evidence: how many, and when the first grace period ends. */
  private async pendingByEntity() {
    const rows = await this.deps.store.listCurrentPending();
    const checks = new Map(
      this.deps.loader.policy.packs.flatMap(p => p.checks.map(c => [c.id, c])),
    );
    const first = await graceAnchors(
      this.deps.store,
      rows.map(r => r.entityRef),
    );
    const byEntity = new Map<string, { count: number; nextDueAt?: string }>();
    for (const row of rows) {
      const entry = byEntity.get(row.entityRef) ?? { count: 0 };
      entry.count += 1;
      const grace = checks.get(row.checkId)?.awaitsEvidence?.gracePeriod;
      const ms = grace === undefined ? undefined : parseDuration(grace);
      const start = first.get(row.entityRef);
      if (ms !== undefined && start) {
        const due = new Date(Date.parse(start) + ms).toISOString();
        if (!entry.nextDueAt || due < entry.nextDueAt) entry.nextDueAt = due;
      }
      byEntity.set(row.entityRef, entry);
    }
    return byEntity;
  }

  /** Failing checks of every entity owned by a group or any of its sub-teams. */
  async failingChecks(groupRef: string): Promise<FailingCheck[]> {
    const groups = await this.deps.catalog.listGroups();
    if (!groups.some(g => stringifyEntityRef(g) === groupRef))
      throw new NotFoundError(`No group ${groupRef} in the catalog`);
    const team = descendantGroups(groupRef, groups);
    const summaries = (await this.deps.store.listSummaries()).filter(
      s => s.ownerRef && team.has(s.ownerRef),
    );
    const ownerOf = new Map(summaries.map(s => [s.entityRef, s.ownerRef!]));
    const checks = new Map(
      this.deps.loader.policy.packs.flatMap(p => p.checks.map(c => [c.id, c])),
    );
    const order = { critical: 0, high: 1, medium: 2, low: 3 };
    return (
      await this.deps.store.listCurrentFailing(summaries.map(s => s.entityRef))
    )
      .map(r => {
        const check = checks.get(r.checkId);
        return {
          entityRef: r.entityRef,
          ownerRef: ownerOf.get(r.entityRef)!,
          checkId: r.checkId,
          title: check?.title ?? r.checkId,
          severity: check?.severity ?? 'medium',
          remediation: check?.remediation ?? r.message ?? '',
          since: r.since,
        };
      })
      .sort(
        (a, b) =>
          order[a.severity] - order[b.severity] ||
          a.entityRef.localeCompare(b.entityRef),
      );
  }
}
