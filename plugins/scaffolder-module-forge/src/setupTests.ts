import '@testing-library/jest-dom';

// These machines are shared and noisy: a first render of a Backstage test app can take more than the one second
// testing-library waits by default, which failed CI runs without any defect. Waiting longer cannot hide a
// missing element, only give a slow render time to finish.
import { configure } from '@testing-library/react';

configure({ asyncUtilTimeout: 10_000 });
