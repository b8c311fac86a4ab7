import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  catalogEntityDeletePermission,
  catalogEntityReadPermission,
  catalogLocationDeletePermission,
} from '@backstage/plugin-catalog-common/alpha';
import { ForgePermissionPolicy, Person } from './ForgePermissionPolicy';
import { ForgeRole } from './roles';

function policyFor(
  roles: ForgeRole[],
  ownershipRefs = ['user:default/liam.chen'],
) {
  const person: Person = {
    roles: new Set<ForgeRole>(['member', ...roles]),
    ownershipRefs,
  };
  return new ForgePermissionPolicy({ resolve: async () => person });
}

const aUser = {} as PolicyQueryUser;

const scaffolderTaskCreate = createPermission({
  name: 'scaffolder.task.create',
  attributes: { action: 'create' },
});
const unknownWrite = createPermission({
  name: 'some-plugin.widget.update',
  attributes: { action: 'update' },
});
const unknownRead = createPermission({
  name: 'some-plugin.widget.read',
  attributes: { action: 'read' },
});

describe('ForgePermissionPolicy', () => {
  it('denies requests without a user', async () => {
    const decision = await policyFor(['admin']).handle({
      permission: catalogEntityReadPermission,
    });
    expect(decision.result).toBe(AuthorizeResult.DENY);
  });

  it('allows every signed-in person to read the catalog and run blueprints', async () => {
    const policy = policyFor([]);
    for (const permission of [
      catalogEntityReadPermission,
      scaffolderTaskCreate,
    ]) {
      expect((await policy.handle({ permission }, aUser)).result).toBe(
        AuthorizeResult.ALLOW,
      );
    }
  });

  it('lets admins delete any entity, and members only entities they own', async () => {
    const admin = await policyFor(['admin']).handle(
      { permission: catalogEntityDeletePermission },
      aUser,
    );
    expect(admin.result).toBe(AuthorizeResult.ALLOW);
    const decision = await policyFor(
      [],
      ['user:default/liam.chen', 'group:default/retention-analytics'],
    ).handle({ permission: catalogEntityDeletePermission }, aUser);
    expect(decision).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: {
          claims: [
            'user:default/liam.chen',
            'group:default/retention-analytics',
          ],
        },
      },
    });
  });

  it('reserves deleting locations to admins', async () => {
    const permission = catalogLocationDeletePermission;
    expect((await policyFor([]).handle({ permission }, aUser)).result).toBe(
      AuthorizeResult.DENY,
    );
    expect(
      (await policyFor(['compliance']).handle({ permission }, aUser)).result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (await policyFor(['admin']).handle({ permission }, aUser)).result,
    ).toBe(AuthorizeResult.ALLOW);
  });

  it('is not allow-all: unknown writes are denied to members, unknown reads allowed', async () => {
    const policy = policyFor([]);
    expect(
      (await policy.handle({ permission: unknownWrite }, aUser)).result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (await policy.handle({ permission: unknownRead }, aUser)).result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await policyFor(['admin']).handle({ permission: unknownWrite }, aUser))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
  });

  it.each([
    ['forge.compliance.exemption.approve', [], 'DENY'],
    ['forge.compliance.exemption.approve', ['security'], 'DENY'],
    ['forge.compliance.exemption.approve', ['compliance'], 'ALLOW'],
    // Segregation of duties: running the platform does not make an admin a compliance decider.
    ['forge.compliance.exemption.approve', ['admin'], 'DENY'],
    ['forge.compliance.evidence.export', ['admin'], 'DENY'],
    ['forge.compliance.facts.push', ['admin'], 'DENY'],
    ['forge.compliance.gate.record', ['admin'], 'DENY'],
    ['forge.compliance.gate.record', ['compliance', 'security'], 'DENY'],
    ['forge.compliance.policy.reload', [], 'DENY'],
    ['forge.compliance.policy.reload', ['compliance'], 'DENY'],
    ['forge.compliance.policy.reload', ['admin'], 'ALLOW'],
    ['forge.compliance.evidence.export', [], 'DENY'],
    ['forge.compliance.evidence.export', ['security'], 'ALLOW'],
    ['forge.compliance.evidence.export', ['compliance'], 'ALLOW'],
    ['forge.compliance.facts.push', ['compliance'], 'DENY'],
    ['forge.compliance.scorecard.read', [], 'ALLOW'],
    ['forge.cost.read', [], 'ALLOW'],
    ['forge.cost.budget.manage', ['compliance'], 'DENY'],
    ['forge.cost.budget.manage', ['admin'], 'ALLOW'],
    ['forge.cost.upload', [], 'DENY'],
    ['forge.cost.upload', ['admin'], 'ALLOW'],
  ] as Array<[string, ForgeRole[], string]>)(
    'decides %s for roles %j: %s',
    async (name, roles, expected) => {
      const permission = createPermission({
        name,
        attributes: { action: 'update' },
      });
      const decision = await policyFor(roles).handle({ permission }, aUser);
      expect(AuthorizeResult[decision.result]).toBe(expected);
    },
  );

  it('lets only owners request exemptions for an entity', async () => {
    const permission = createPermission({
      name: 'forge.compliance.exemption.request',
      attributes: { action: 'create' },
      resourceType: 'catalog-entity',
    });
    const decision = await policyFor(
      [],
      ['user:default/guest', 'group:default/retention-analytics'],
    ).handle({ permission }, aUser);
    expect(decision.result).toBe(AuthorizeResult.CONDITIONAL);
  });

  it('leaves a person only their own blueprint runs (read, list, logs, retry, cancel); admins every run', async () => {
    const guest = {
      info: { userEntityRef: 'user:default/guest', ownershipEntityRefs: [] },
    } as unknown as PolicyQueryUser;
    for (const [name, action] of [
      ['scaffolder.task.read', 'read'],
      ['scaffolder.task.cancel', 'update'],
    ] as const) {
      const permission = createPermission({
        name,
        attributes: { action },
        resourceType: 'scaffolder-task',
      });
      expect(await policyFor([]).handle({ permission }, guest)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'scaffolder',
        resourceType: 'scaffolder-task',
        conditions: {
          rule: 'IS_TASK_OWNER',
          resourceType: 'scaffolder-task',
          params: { createdBy: ['user:default/guest'] },
        },
      });
      for (const roles of [['compliance'], ['security']] as ForgeRole[][]) {
        expect(
          (await policyFor(roles).handle({ permission }, guest)).result,
        ).toBe(AuthorizeResult.CONDITIONAL);
      }
      expect(
        (await policyFor(['admin']).handle({ permission }, guest)).result,
      ).toBe(AuthorizeResult.ALLOW);
    }
  });
});
