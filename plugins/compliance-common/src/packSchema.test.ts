import { parseDuration } from './duration';
import { parsePolicyPack, PolicyPackError } from './packSchema';
import { loadBaselinePack } from './testData';

const minimal = (check: string) => `
apiVersion: forge.io/v1
kind: PolicyPack
metadata: { name: mini, version: 1.0.0, title: Mini }
spec:
  controls:
    - { id: AC-2, framework: NIST-800-53, family: AC, title: Account Management }
  checks:
${check}
`;

const goodCheck = `
    - id: owner
      title: Has an owner
      severity: high
      level: bronze
      controls: [AC-2]
      rule: refs.owner != ""
      remediation: Set spec.owner.`;

describe('parsePolicyPack', () => {
  it('loads the baseline pack with at least 25 checks, each mapped to declared controls', () => {
    const pack = loadBaselinePack();
    expect(pack.name).toBe('baseline');
    expect(pack.checks.length).toBeGreaterThanOrEqual(25);
    const frameworks = new Set(pack.controls.map(c => c.framework));
    expect(frameworks).toEqual(new Set(['SOC2', 'NIST-800-53']));
    for (const id of [
      'CC6.1',
      'CC7.2',
      'CC8.1',
      'AC-2',
      'AC-3',
      'AU-2',
      'CM-2',
      'CM-8',
      'RA-5',
      'SC-8',
      'SC-28',
      'SI-10',
    ]) {
      expect(pack.checks.some(c => c.controls.includes(id))).toBe(true);
    }
  });

  it('defaults the gate to block for high and critical checks and warn otherwise', () => {
    const pack = parsePolicyPack(minimal(goodCheck), 'mini.yaml');
    expect(pack.checks[0].gate).toBe('block');
  });

  it('reads the grace period of checks that await CI evidence', () => {
    const pack = parsePolicyPack(
      minimal(
        `${goodCheck}\n      awaitsEvidence: { facts: [ci], gracePeriod: 72h30m }`,
      ),
      'mini.yaml',
    );
    expect(pack.checks[0].awaitsEvidence).toEqual({
      facts: ['ci'],
      gracePeriod: '72h30m',
    });
    expect(parseDuration('72h30m')).toBe((72 * 60 + 30) * 60_000);
    expect(parseDuration('7d')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });

  it.each([
    ['not YAML', 'spec: [unclosed', /mini\.yaml: not valid YAML/],
    [
      'an unknown control',
      minimal(goodCheck.replace('[AC-2]', '[AC-99]')),
      /mini\.yaml: check 'owner': controls AC-99 are not declared/,
    ],
    [
      'a rule that is not CEL',
      minimal(goodCheck.replace('refs.owner != ""', 'refs.owner != ')),
      /mini\.yaml: check 'owner': rule is not valid CEL/,
    ],
    [
      'a missing remediation',
      minimal(goodCheck.replace('      remediation: Set spec.owner.', '')),
      /mini\.yaml: check 'owner': remediation:/,
    ],
    [
      'a bad severity',
      minimal(goodCheck.replace('severity: high', 'severity: urgent')),
      /check 'owner': severity:/,
    ],
    [
      'a duplicate check id',
      minimal(goodCheck + goodCheck),
      /check 'owner': the id is used by another check/,
    ],
    [
      'a grace period that is not a duration',
      minimal(
        `${goodCheck}\n      awaitsEvidence: { facts: [ci], gracePeriod: 7d }`,
      ),
      /check 'owner': awaitsEvidence\.gracePeriod: must be a duration such as 168h/,
    ],
    [
      'awaited evidence without facts',
      minimal(
        `${goodCheck}\n      awaitsEvidence: { facts: [], gracePeriod: 72h }`,
      ),
      /check 'owner': awaitsEvidence\.facts: must name the facts only CI produces/,
    ],
    [
      'a bad version',
      minimal(goodCheck).replace('version: 1.0.0', 'version: one'),
      /metadata\.version: must be a semantic version/,
    ],
  ])(
    'refuses a pack with %s, naming file, check and problem',
    (_what, text, message) => {
      expect(() => parsePolicyPack(text, 'mini.yaml')).toThrow(PolicyPackError);
      expect(() => parsePolicyPack(text, 'mini.yaml')).toThrow(message);
    },
  );
});
