import { ConfigReader } from '@backstage/config';
import { readRoleGroups, rolesFromGroups, withAncestors } from './roles';

const links = [
  { ref: 'group:default/meridian-mutual' },
  {
    ref: 'group:default/compliance-risk',
    parent: 'group:default/meridian-mutual',
  },
  { ref: 'group:default/grc-office', parent: 'group:default/compliance-risk' },
  {
    ref: 'group:default/platform-engineering',
    parent: 'group:default/meridian-mutual',
  },
  {
    ref: 'group:default/platform-admins',
    parent: 'group:default/platform-engineering',
  },
  { ref: 'group:default/security', parent: 'group:default/meridian-mutual' },
  {
    ref: 'group:default/security-engineering',
    parent: 'group:default/security',
  },
  {
    ref: 'group:default/retention-analytics',
    parent: 'group:default/customer-analytics',
  },
  {
    ref: 'group:default/customer-analytics',
    parent: 'group:default/meridian-mutual',
  },
];
const roleGroups = readRoleGroups(new ConfigReader({}));

describe('withAncestors', () => {
  it('adds every ancestor of a nested group', () => {
    expect([...withAncestors(['group:default/grc-office'], links)]).toEqual([
      'group:default/grc-office',
      'group:default/compliance-risk',
      'group:default/meridian-mutual',
    ]);
  });

  it('terminates on cycles in bad catalog data', () => {
    const cyclic = [
      { ref: 'group:default/a', parent: 'group:default/b' },
      { ref: 'group:default/b', parent: 'group:default/a' },
    ];
    expect(withAncestors(['group:default/a'], cyclic).size).toBe(2);
  });
});

describe('rolesFromGroups', () => {
  it('gives a member of a nested compliance sub-team the compliance role', () => {
    const roles = rolesFromGroups(
      ['group:default/grc-office'],
      links,
      roleGroups,
    );
    expect([...roles].sort()).toEqual(['compliance', 'member']);
  });

  it('gives security engineers the security role and nothing more', () => {
    const roles = rolesFromGroups(
      ['group:default/security-engineering'],
      links,
      roleGroups,
    );
    expect([...roles].sort()).toEqual(['member', 'security']);
  });

  it('gives a data engineer only the member role', () => {
    const roles = rolesFromGroups(
      ['group:default/retention-analytics'],
      links,
      roleGroups,
    );
    expect([...roles]).toEqual(['member']);
  });

  it('does not let a parent group inherit the roles of its children', () => {
    const roles = rolesFromGroups(
      ['group:default/platform-engineering'],
      links,
      roleGroups,
    );
    expect(roles.has('admin')).toBe(false);
  });
});

describe('readRoleGroups', () => {
  it('normalises short group references from config', () => {
    const groups = readRoleGroups(
      new ConfigReader({
        forge: { permissions: { roles: { admin: ['ops'] } } },
      }),
    );
    expect(groups.admin).toEqual(['group:default/ops']);
    expect(groups.compliance).toEqual(['group:default/compliance-risk']);
  });

  it('rejects unknown roles with a message naming the key', () => {
    expect(() =>
      readRoleGroups(
        new ConfigReader({
          forge: { permissions: { roles: { auditor: ['x'] } } },
        }),
      ),
    ).toThrow(/forge\.permissions\.roles/);
  });
});
