import '@testing-library/jest-dom';

// These machines are shared and noisy: a first render of a Backstage test app can take more than the one second
// testing-library waits by default, which failed CI runs without any defect. Waiting longer cannot hide a
// missing element, only give a slow render time to finish.
import { configure } from '@testing-library/react';

configure({ asyncUtilTimeout: 10_000 });

// A whole CI run loads both cores: component tests that take 1-2 s alone exceeded 5 s and 20 s there (OutcomesPage,
// SatisfactionCard, EntityCostContent at 42f342a) with nothing wrong in what they check. The limit only stops hangs;
// a longer one cannot make a wrong answer pass.
jest.setTimeout(60_000);
