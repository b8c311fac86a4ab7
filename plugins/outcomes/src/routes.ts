import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The outcomes page at /outcomes. */
export const rootRouteRef = createRouteRef();
