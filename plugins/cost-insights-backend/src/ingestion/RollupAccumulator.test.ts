import fc from 'fast-check';
import { FocusCharge } from './FocusRowReader';
import { RollupAccumulator } from './RollupAccumulator';

const charge = fc.record({
  day: fc.constantFrom('2026-09-01', '2026-09-02', '2026-09-03'),
  billingAccountId: fc.constantFrom('acct-1', 'acct-2'),
  billingPeriodStart: fc.constantFrom('2026-09-01', '2026-08-01'),
  provider: fc.constantFrom('AWS', 'Azure'),
  serviceCategory: fc.constantFrom('Compute', 'Storage'),
  serviceName: fc.constantFrom('EC2', 'S3', 'SageMaker'),
  region: fc.constantFrom('eu-west-1', ''),
  subAccountId: fc.constantFrom('sub-1', 'sub-2'),
  subAccountName: fc.constantFrom('Sub one', 'Sub uno'),
  chargeCategory: fc.constantFrom('Usage' as const, 'Tax' as const),
  currency: fc.constantFrom('USD', 'EUR'),
  consumedUnit: fc.constantFrom('Hours', 'GB', ''),
  billedCost: fc.double({ min: -100, max: 1000, noNaN: true }),
  effectiveCost: fc.double({ min: -100, max: 1000, noNaN: true }),
  listCost: fc.double({ min: 0, max: 1000, noNaN: true }),
  consumedQuantity: fc.double({ min: 0, max: 100, noNaN: true }),
  tags: fc.constant(undefined),
  unusedCommitment: fc.boolean(),
  isGpu: fc.boolean(),
}) as fc.Arbitrary<FocusCharge>;

const KEY_FIELDS = [
  'day',
  'billingAccountId',
  'billingPeriodStart',
  'entityRef',
  'provider',
  'serviceCategory',
  'serviceName',
  'region',
  'subAccountId',
  'chargeCategory',
  'currency',
  'consumedUnit',
] as const;

/** The same sums done the obvious way, in the same order. */
function expected(lines: Array<{ charge: FocusCharge; entityRef: string }>) {
  const rollups = new Map<string, Record<string, string | number>>();
  for (const { charge: c, entityRef } of lines) {
    const dims = { ...c, entityRef };
    const key = JSON.stringify(KEY_FIELDS.map(f => dims[f]));
    let r = rollups.get(key);
    if (!r) {
      r = {
        ...Object.fromEntries(KEY_FIELDS.map(f => [f, dims[f]])),
        subAccountName: c.subAccountName,
        billedCost: 0,
        effectiveCost: 0,
        listCost: 0,
        consumedQuantity: 0,
        gpuCost: 0,
        gpuHours: 0,
        gpuIdleCost: 0,
        rowCount: 0,
      };
      rollups.set(key, r);
    }
    (r.billedCost as number) += c.billedCost;
    (r.effectiveCost as number) += c.effectiveCost;
    (r.listCost as number) += c.listCost;
    (r.consumedQuantity as number) += c.consumedQuantity;
    (r.rowCount as number) += 1;
    if (c.isGpu) {
      (r.gpuCost as number) += c.effectiveCost;
      if (c.consumedUnit === 'Hours')
        (r.gpuHours as number) += c.consumedQuantity;
      if (c.unusedCommitment) (r.gpuIdleCost as number) += c.effectiveCost;
    }
  }
  return [...rollups.values()];
}

describe('RollupAccumulator', () => {
  it('sums random charges into one rollup per key, exactly as a plain grouping does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            charge,
            entityRef: fc.constantFrom('', 'component:default/a', 'b'),
          }),
          { maxLength: 300 },
        ),
        lines => {
          const accumulator = new RollupAccumulator();
          for (const { charge: c, entityRef } of lines)
            accumulator.add({ ...c }, entityRef);
          const { rollups, periods } = accumulator.result();
          expect(rollups).toEqual(expected(lines));
          expect(periods).toEqual([
            ...new Map(
              lines.map(({ charge: c }) => [
                `${c.billingAccountId} ${c.billingPeriodStart}`,
                {
                  billingAccountId: c.billingAccountId,
                  billingPeriodStart: c.billingPeriodStart,
                },
              ]),
            ).values(),
          ]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps every rollup apart when there are many more than its first table holds', () => {
    // 20 days x 250 entities x 3 services: 15,000 rollups, so the table and its arrays grow several times over.
    const accumulator = new RollupAccumulator();
    const lines: Array<{ charge: FocusCharge; entityRef: string }> = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 15_000; i++) {
        const c: FocusCharge = {
          day: `2026-09-${String(1 + (i % 20)).padStart(2, '0')}`,
          billingAccountId: 'acct-1',
          billingPeriodStart: '2026-09-01',
          provider: 'AWS',
          serviceCategory: 'Compute',
          serviceName: ['EC2', 'S3', 'RDS'][Math.floor(i / 5_000)],
          region: 'eu-west-1',
          subAccountId: 'sub-1',
          subAccountName: 'Sub one',
          chargeCategory: 'Usage',
          currency: 'USD',
          consumedUnit: 'Hours',
          billedCost: (i % 97) + round,
          effectiveCost: i % 89,
          listCost: i % 83,
          consumedQuantity: 1,
          tags: undefined,
          unusedCommitment: false,
          isGpu: i % 7 === 0,
        };
        const entityRef = `component:default/p-${Math.floor(i / 20) % 250}`;
        lines.push({ charge: c, entityRef });
        accumulator.add({ ...c }, entityRef);
      }
    }
    const { rollups } = accumulator.result();
    expect(rollups).toHaveLength(15_000);
    expect(rollups).toEqual(expected(lines));
    expect(accumulator.totals.USD.billed).toBe(
      lines.reduce((sum, l) => sum + l.charge.billedCost, 0),
    );
  });
});
