import { AuthService, UserInfoService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { Person, PersonResolver } from './ForgePermissionPolicy';
import { GroupParentLink, RoleGroups, rolesFromGroups } from './roles';

const GROUP_CACHE_MS = 60_000;

/**
 * Resolves roles from the signed-in user's ownership refs (their user and direct groups, from the sign-in
 * resolver) expanded through the catalog's group hierarchy. The hierarchy is read once a minute, not per request.
 */
export class CatalogPersonResolver implements PersonResolver {
  private links?: { at: number; value: Promise<GroupParentLink[]> };

  constructor(
    private readonly deps: {
      userInfo: UserInfoService;
      catalog: CatalogService;
      auth: AuthService;
      roleGroups: RoleGroups;
    },
  ) {}

  async resolve(user: PolicyQueryUser): Promise<Person> {
    const info = await this.deps.userInfo.getUserInfo(user.credentials);
    const links = await this.groupLinks();
    const groups = info.ownershipEntityRefs.filter(r => r.startsWith('group:'));
    return {
      roles: rolesFromGroups(groups, links, this.deps.roleGroups),
      ownershipRefs: info.ownershipEntityRefs,
    };
  }

  private groupLinks(): Promise<GroupParentLink[]> {
    const now = Date.now();
    if (!this.links || now - this.links.at > GROUP_CACHE_MS) {
      const value = this.loadGroupLinks();
      // A failed load is not cached: the next request tries again.
      value.catch(() => {
        if (this.links?.value === value) this.links = undefined;
      });
      this.links = { at: now, value };
    }
    return this.links.value;
  }

  private async loadGroupLinks(): Promise<GroupParentLink[]> {
    const { items } = await this.deps.catalog.getEntities(
      {
        filter: { kind: 'Group' },
        fields: ['kind', 'metadata.name', 'metadata.namespace', 'spec.parent'],
      },
      { credentials: await this.deps.auth.getOwnServiceCredentials() },
    );
    return items.map(group => {
      const ref = stringifyEntityRef(group);
      const parent = (group.spec as { parent?: string } | undefined)?.parent;
      return {
        ref,
        parent: parent
          ? stringifyEntityRef({
              kind: 'group',
              namespace: group.metadata.namespace ?? 'default',
              name: parent
                .replace(/^group:/, '')
                .split('/')
                .pop()!,
            })
          : undefined,
      };
    });
  }
}
