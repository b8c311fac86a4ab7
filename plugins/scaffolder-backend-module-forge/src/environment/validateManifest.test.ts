import { validateManifest, validateManifestFiles } from './validateManifest';

describe('validateManifest', () => {
  it('accepts a valid built-in object and refuses a wrong type with the path', () => {
    expect(
      validateManifest({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'compute', namespace: 'churn' },
        spec: { hard: { 'requests.cpu': '4', 'requests.nvidia.com/gpu': '1' } },
      }),
    ).toEqual([]);
    const problems = validateManifest({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny' },
      spec: { podSelector: {}, policyTypes: ['Sideways'] },
    });
    expect(problems.join()).toMatch(/policyTypes/);
  });

  it('refuses unknown top-level fields, bad names and bad label values', () => {
    const problems = validateManifest({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'Bad_Name', labels: { 'forge.io/owner': 'x'.repeat(70) } },
      sepc: {},
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("unknown field 'sepc'"),
        expect.stringContaining("metadata.name 'Bad_Name'"),
        expect.stringContaining('not a valid label value'),
      ]),
    );
  });

  it('validates custom resources against their schemas', () => {
    expect(
      validateManifest({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: { name: 'fraud' },
        spec: {
          predictor: {
            minReplicas: 1,
            canaryTrafficPercent: 10,
            model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://bucket/model' },
          },
        },
      }),
    ).toEqual([]);
    const problems = validateManifest({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'fraud' },
      spec: { predictor: { canaryTrafficPercent: 150, model: { modelFormat: { name: 'x' } }, replicas: 2 } },
    });
    expect(problems.join('\n')).toMatch(/canaryTrafficPercent must be <= 100/);
    expect(problems.join('\n')).toMatch(/additional properties 'replicas'/);
  });

  it('names kinds it has no schema for instead of passing them', () => {
    expect(
      validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).toEqual([expect.stringContaining('no schema for example.com/v1/Widget')]);
  });

  it('reports broken YAML and counts documents across files', () => {
    const result = validateManifestFiles([
      {
        path: 'a.yaml',
        content: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n',
      },
      { path: 'b.yaml', content: 'key: [unclosed\n' },
    ]);
    expect(result.documents).toBe(2);
    expect(result.problems).toEqual([
      expect.objectContaining({ file: 'b.yaml', problems: [expect.stringMatching(/^YAML:/)] }),
    ]);
  });
});
