import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Compliance page (dashboard, exemption queue, evidence). */
export const rootRouteRef = createRouteRef();
export const dashboardRouteRef = createRouteRef();
export const exemptionsRouteRef = createRouteRef();
export const evidenceRouteRef = createRouteRef();
