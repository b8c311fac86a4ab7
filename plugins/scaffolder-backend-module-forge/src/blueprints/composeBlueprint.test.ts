import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  blueprintSourceNames,
  composeBlueprint,
  composeBlueprints,
} from './composeBlueprint';
import { blueprintNames, TEMPLATES_DIR } from './renderBlueprint';

const files = { shared: 'shared.yaml', own: 'own.yaml', output: 'out.yaml' };

const SHARED = `# How this file works (dropped from the output).
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  annotations:
    backstage.io/techdocs-ref: dir:./((name))
spec:
  owner: group:default/platform
  parameters:
    - title: Project
      properties:
        name: { type: string }
        description: { type: string, description: What it is for. }
    - $blueprint
    - title: Advanced
      properties:
        lifecycle: { type: string, enum: [experimental, production] }
  steps:
    - id: render
      action: fetch:template
      input:
        url: ./((name))/skeleton
        values: &values
          blueprint: ((name))@((version))
          title: ((title))
    - id: again
      action: fetch:template
      input:
        values: *values
`;

const OWN = `# The dbt blueprint: models and tests.
metadata:
  name: dbt
  title: dbt project
  annotations:
    forge.io/blueprint-version: 2.1.0
spec:
  type: analytics
  parameters:
    - title: Project
      properties:
        description:
          description: What the models answer.
    - title: Runs
      properties:
        runsPerDay: { type: integer }
    - title: Advanced
      properties:
        lifecycle:
          enum: [experimental]
  steps:
    - id: render
      input:
        values:
          # dbt speaks SQL.
          language: sql
`;

describe('composeBlueprint', () => {
  const composed = composeBlueprint(SHARED, OWN, files);
  const template = parse(composed);

  it('says the file is generated and from what, and keeps the blueprint’s own description on top', () => {
    expect(composed.split('\n').slice(0, 5)).toEqual([
      '# GENERATED from shared.yaml and own.yaml',
      '# by `./forge yarn blueprints:compose`: edit those two, not this file (a test fails when they disagree).',
      '',
      '# The dbt blueprint: models and tests.',
      '',
    ]);
    expect(composed).not.toContain('How this file works');
  });

  it('merges maps key by key, with the blueprint’s own keys where its file puts them', () => {
    expect(Object.keys(template.metadata)).toEqual([
      'name',
      'title',
      'annotations',
    ]);
    expect(template.metadata.annotations).toEqual({
      'backstage.io/techdocs-ref': 'dir:./dbt',
      'forge.io/blueprint-version': '2.1.0',
    });
    expect(Object.keys(template.spec)).toEqual([
      'owner',
      'type',
      'parameters',
      'steps',
    ]);
  });

  it('matches pages by title, puts new pages at the slot and replaces lists inside them', () => {
    expect(
      template.spec.parameters.map((p: { title: string }) => p.title),
    ).toEqual(['Project', 'Runs', 'Advanced']);
    expect(template.spec.parameters[0].properties.description).toEqual({
      type: 'string',
      description: 'What the models answer.',
    });
    expect(template.spec.parameters[2].properties.lifecycle.enum).toEqual([
      'experimental',
    ]);
  });

  it('merges steps by id, fills in the placeholders and keeps a shared anchor shared', () => {
    const values = {
      blueprint: 'dbt@2.1.0',
      title: 'dbt project',
      language: 'sql',
    };
    expect(template.spec.steps[0].input).toEqual({
      url: './dbt/skeleton',
      values,
    });
    expect(template.spec.steps[1].input.values).toEqual(values);
    expect(composed).toContain('values: &values');
    expect(composed).toContain('# dbt speaks SQL.');
  });

  it('refuses what it cannot merge, naming the file and what is wrong', () => {
    expect(() =>
      composeBlueprint(SHARED, 'spec:\n  steps:\n    - action: x\n', files),
    ).toThrow('own.yaml: every item of spec.steps needs a id');
    expect(() =>
      composeBlueprint(SHARED.replace('((title))', '((owner))'), OWN, files),
    ).toThrow('shared.yaml: unknown placeholder ((owner))');
    expect(() =>
      composeBlueprint(SHARED, 'metadata:\n  title: x\n', files),
    ).toThrow(/own.yaml: needs metadata.name/);
    expect(() => composeBlueprint(SHARED, '- a\n', files)).toThrow(
      'own.yaml: must be a YAML map',
    );
  });
});

describe('the blueprints in templates/', () => {
  it('each have their own source beside the shared one', () => {
    expect(blueprintSourceNames(TEMPLATES_DIR)).toEqual(
      [...blueprintNames()].sort(),
    );
  });

  it.each([...composeBlueprints(TEMPLATES_DIR)])(
    '%s is what its sources compose to (run `./forge yarn blueprints:compose` after editing them)',
    (file, text) => {
      expect(fs.readFileSync(path.join(TEMPLATES_DIR, file), 'utf8')).toBe(
        text,
      );
    },
  );
});
