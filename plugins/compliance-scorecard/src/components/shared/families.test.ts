import { scorecardFixture } from '../../__testUtils__/fixtures';
import { familyName, familyNameOfLabel, groupChecksByFamily } from './families';

describe('groupChecksByFamily', () => {
  it('puts each check under every family it evidences, SOC 2 before NIST, families in order', () => {
    const groups = groupChecksByFamily(scorecardFixture());
    expect(groups.map(g => g.key)).toEqual([
      'SOC2:CC1',
      'SOC2:CC7',
      'SOC2:CC8',
      'NIST-800-53:AC',
      'NIST-800-53:AU',
      'NIST-800-53:RA',
      'NIST-800-53:SA',
    ]);
    const ra = groups.find(g => g.key === 'NIST-800-53:RA')!;
    expect(ra.checks.map(c => c.checkId)).toEqual([
      'security.no-critical-vulnerabilities',
      'security.dependency-scan-fresh',
    ]);
    expect(ra.failing).toBe(2);
    const ac = groups.find(g => g.key === 'NIST-800-53:AC')!;
    expect(ac.controls.map(c => c.id)).toEqual(['AC-2', 'AC-3']);
    expect(ac.failing).toBe(0);
    // Both CC7 controls, each evidenced by one check.
    expect(
      groups.find(g => g.key === 'SOC2:CC7')!.controls.map(c => c.id),
    ).toEqual(['CC7.1', 'CC7.2']);
  });

  it('ignores control ids the scorecard does not describe', () => {
    const scorecard = scorecardFixture();
    scorecard.results[0].controls = ['ZZ-9'];
    const groups = groupChecksByFamily(scorecard);
    const holding = groups.filter(g =>
      g.checks.some(c => c.checkId === 'security.no-critical-vulnerabilities'),
    );
    expect(holding).toEqual([]);
    expect(groups.find(g => g.key === 'NIST-800-53:RA')!.failing).toBe(1);
  });
});

describe('family names', () => {
  it('names SOC 2 and NIST families, and falls back to the id', () => {
    expect(familyName('NIST-800-53', 'SC')).toBe(
      'System and communications protection',
    );
    expect(familyName('SOC2', 'CC6')).toBe(
      'Logical and physical access controls',
    );
    expect(familyName('SOC2', 'XX')).toBe('XX');
    expect(familyNameOfLabel('SOC 2 CC8')).toBe('Change management');
    expect(familyNameOfLabel('NIST AU')).toBe('Audit and accountability');
    expect(familyNameOfLabel('ISO 27001 A.5')).toBe('');
  });
});
