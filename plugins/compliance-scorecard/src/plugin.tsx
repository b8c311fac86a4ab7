import {
  ApiBlueprint,
  PageBlueprint,
  SubPageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { ComplianceClient } from '@internal/plugin-compliance-common';
import VerifiedUserIcon from '@material-ui/icons/VerifiedUser';
import { complianceApiRef } from './api';
import {
  dashboardRouteRef,
  evidenceRouteRef,
  exemptionsRouteRef,
  rootRouteRef,
} from './routes';

/** Kinds the compliance backend evaluates and the entity page shows a scorecard for. */
const scoredKinds = { kind: { $in: ['component', 'resource', 'system'] } };

const complianceApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: complianceApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ComplianceClient({ discoveryApi, fetchApi }),
    }),
});

const entityScorecardCard = EntityCardBlueprint.make({
  name: 'scorecard',
  params: {
    type: 'info',
    filter: scoredKinds,
    loader: () =>
      import('./components/EntityComplianceCard').then(m => (
        <m.EntityComplianceCard />
      )),
  },
});

const entityComplianceContent = EntityContentBlueprint.make({
  name: 'compliance',
  params: {
    path: 'compliance',
    title: 'Compliance',
    filter: scoredKinds,
    loader: () =>
      import('./components/EntityComplianceContent').then(m => (
        <m.EntityComplianceContent />
      )),
  },
});

const groupFailingChecksCard = EntityCardBlueprint.make({
  name: 'group-failing-checks',
  params: {
    type: 'content',
    filter: { kind: 'group' },
    loader: () =>
      import('./components/GroupFailingChecksCard').then(m => (
        <m.GroupFailingChecksCard />
      )),
  },
});

const compliancePage = PageBlueprint.make({
  params: {
    path: '/compliance',
    routeRef: rootRouteRef,
    title: 'Compliance',
    icon: <VerifiedUserIcon />,
  },
});

const dashboardSubPage = SubPageBlueprint.make({
  name: 'dashboard',
  params: {
    path: 'dashboard',
    title: 'Dashboard',
    routeRef: dashboardRouteRef,
    loader: () =>
      import('./components/ComplianceDashboard').then(m => (
        <m.ComplianceDashboard />
      )),
  },
});

const exemptionsSubPage = SubPageBlueprint.make({
  name: 'exemptions',
  params: {
    path: 'exemptions',
    title: 'Exemptions',
    routeRef: exemptionsRouteRef,
    loader: () =>
      import('./components/ExemptionQueue').then(m => <m.ExemptionQueue />),
  },
});

const evidenceSubPage = SubPageBlueprint.make({
  name: 'evidence',
  params: {
    path: 'evidence',
    title: 'Evidence',
    routeRef: evidenceRouteRef,
    loader: () =>
      import('./components/EvidencePage').then(m => <m.EvidencePage />),
  },
});

/**
 * Forge compliance scorecards in the portal: a card and a tab on every scored entity, failing checks on team
 * pages, and the Compliance page with the managers' dashboard, the exemption queue and evidence export.
 *
 * @public
 */
export const compliancePlugin = createFrontendPlugin({
  pluginId: 'compliance',
  title: 'Compliance',
  icon: <VerifiedUserIcon />,
  routes: { root: rootRouteRef },
  extensions: [
    complianceApi,
    entityScorecardCard,
    entityComplianceContent,
    groupFailingChecksCard,
    compliancePage,
    dashboardSubPage,
    exemptionsSubPage,
    evidenceSubPage,
  ],
});
