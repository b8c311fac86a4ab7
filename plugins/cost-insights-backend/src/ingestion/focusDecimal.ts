import { resolvePackagePath } from '@backstage/backend-plugin-api';

type FocusDecimal = typeof import('../../workers/focusDecimal');

/**
 * The FOCUS decimal grammar of workers/focusDecimal.js, for the TypeScript side. The file stays plain CommonJS so the
 * parser thread runs it under any loader; Backstage's build bundles the TypeScript sources as ES modules and cannot
 * see that file's exports (`yarn workspace backend build` failed: "readDecimal is not exported"), so it is loaded
 * at run time from the package, the same file the parser thread loads.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const decimal: FocusDecimal = require(resolvePackagePath(
  '@internal/plugin-cost-insights-backend',
  'workers/focusDecimal.js',
));

export const {
  readDecimal,
  addDecimal,
  decimalToNumber,
  formatDecimal,
  OK,
  NOT_A_NUMBER,
  TOO_LARGE,
  SCALE,
  MAX_MAGNITUDE,
  MAX_SUM,
} = decimal;
