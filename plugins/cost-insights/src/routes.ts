import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The organisation cost overview at /cost. */
export const rootRouteRef = createRouteRef();
