import fc from 'fast-check';
import { decimalToNumber, MAX_SUM } from '../../workers/focusDecimal';
import { AMOUNT, FocusCharge } from './FocusRowReader';
import { RollupAccumulator, SumOverflowError } from './RollupAccumulator';

/** Amounts in hundredths (cents), so the oracle sums them as plain integers. */
type Cents = {
  billedCost: number;
  effectiveCost: number;
  listCost: number;
  consumedQuantity: number;
};

/** A sum of cents as the number Forge stores: whole units plus the fraction, each exact, then added once. */
function centsValue(cents: number): number {
  return decimalToNumber(Math.trunc(cents / 100), (cents % 100) * 1e13);
}

function withAmounts(c: Omit<FocusCharge, 'amounts'> & Cents): FocusCharge {
  const amounts = new Float64Array(8);
  for (const key of Object.keys(AMOUNT) as Array<keyof typeof AMOUNT>) {
    amounts[AMOUNT[key]] = Math.trunc(c[key] / 100);
    amounts[AMOUNT[key] + 1] = (c[key] % 100) * 1e13 || 0;
  }
  return { ...c, amounts };
}

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
  billedCost: fc.integer({ min: -10_000, max: 100_000 }),
  effectiveCost: fc.integer({ min: -10_000, max: 100_000 }),
  listCost: fc.integer({ min: 0, max: 100_000 }),
  consumedQuantity: fc.integer({ min: 0, max: 10_000 }),
  tags: fc.constant(undefined),
  tagsColumn: fc.constant('Tags' as const),
  unusedCommitment: fc.boolean(),
  isGpu: fc.boolean(),
}) as fc.Arbitrary<Omit<FocusCharge, 'amounts'> & Cents>;

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
function expected(
  lines: Array<{
    charge: Omit<FocusCharge, 'amounts'> & Cents;
    entityRef: string;
  }>,
) {
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
  const sums = [
    'billedCost',
    'effectiveCost',
    'listCost',
    'consumedQuantity',
    'gpuCost',
    'gpuHours',
    'gpuIdleCost',
  ];
  return [...rollups.values()].map(r => ({
    ...r,
    ...Object.fromEntries(sums.map(k => [k, centsValue(r[k] as number)])),
  }));
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
            accumulator.add(withAmounts(c), entityRef);
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
    const lines: Array<{
      charge: Omit<FocusCharge, 'amounts'> & Cents;
      entityRef: string;
    }> = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 15_000; i++) {
        const c: Omit<FocusCharge, 'amounts'> & Cents = {
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
          tagsColumn: 'Tags',
          unusedCommitment: false,
          isGpu: i % 7 === 0,
        };
        const entityRef = `component:default/p-${Math.floor(i / 20) % 250}`;
        lines.push({ charge: c, entityRef });
        accumulator.add(withAmounts(c), entityRef);
      }
    }
    const { rollups } = accumulator.result();
    expect(rollups).toHaveLength(15_000);
    expect(rollups).toEqual(expected(lines));
    expect(accumulator.totals.USD.billed).toBe(
      centsValue(lines.reduce((sum, l) => sum + l.charge.billedCost, 0)),
    );
  });

  it('sums decimals exactly where binary floating point drifts', () => {
    const accumulator = new RollupAccumulator();
    const base = {
      day: '2026-09-01',
      billingAccountId: 'a',
      billingPeriodStart: '2026-09-01',
      provider: 'AWS',
      serviceCategory: 'Compute',
      serviceName: 'EC2',
      region: '',
      subAccountId: '',
      subAccountName: '',
      chargeCategory: 'Usage' as const,
      currency: 'USD',
      consumedUnit: '',
      tags: undefined,
      tagsColumn: 'Tags' as const,
      unusedCommitment: false,
      isGpu: false,
    };
    // 0.1 + 0.2 ten times over: floating point gives 3.0000000000000004.
    for (let i = 0; i < 10; i++) {
      for (const cents of [10, 20]) {
        accumulator.add(
          withAmounts({
            ...base,
            billedCost: cents,
            effectiveCost: cents,
            listCost: cents,
            consumedQuantity: 0,
          }),
          '',
        );
      }
    }
    expect(accumulator.totals.USD.billed).toBe(3);
    expect(accumulator.result().rollups[0].effectiveCost).toBe(3);
  });

  it('refuses a sum beyond what it sums exactly instead of overflowing', () => {
    const accumulator = new RollupAccumulator();
    const big = new Float64Array(8);
    big[AMOUNT.billedCost] = MAX_SUM / 2 + 1;
    const c = {
      ...withAmounts({
        day: '2026-09-01',
        billingAccountId: 'a',
        billingPeriodStart: '2026-09-01',
        provider: 'AWS',
        serviceCategory: 'Compute',
        serviceName: 'EC2',
        region: '',
        subAccountId: '',
        subAccountName: '',
        chargeCategory: 'Usage',
        currency: 'USD',
        consumedUnit: '',
        tags: undefined,
        tagsColumn: 'Tags',
        unusedCommitment: false,
        isGpu: false,
        billedCost: 0,
        effectiveCost: 0,
        listCost: 0,
        consumedQuantity: 0,
      }),
      amounts: big,
    };
    accumulator.add(c, '');
    expect(() => accumulator.add(c, '')).toThrow(SumOverflowError);
  });
});
