// Store tests run on SQLite and PostgreSQL on shared, noisy machines: a whole CI run loads both cores, and a test
// that takes 2 s alone took more than Jest's default 5 s there (CostAlertService on PostgreSQL) with no defect behind
// it. A longer limit cannot make a wrong answer pass; tests that need more still set their own.
jest.setTimeout(60_000);
