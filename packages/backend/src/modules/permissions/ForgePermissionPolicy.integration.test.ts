import request from 'supertest';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { forgePermissionPolicyModule } from './module';
import { backendTestDatabases } from '../../testing/databases';
import {
  demoCatalogConfig,
  signInLikeUserInfo,
} from './__testUtils__/matrixBackend';

describe.each(backendTestDatabases().map(db => [db.id, db] as const))(
  'Forge permission policy in a real backend (%s)',
  (_id, db) => {
    const as = (user: string) =>
      mockCredentials.user.header(`user:default/${user}`);
    let server: any;
    let stop: () => Promise<void>;

    beforeAll(async () => {
      const backend = await startTestBackend({
        features: [
          catalogPlugin,
          permissionPlugin,
          forgePermissionPolicyModule,
          permissionsServiceFactory,
          signInLikeUserInfo,
          mockServices.rootConfig.factory({
            data: {
              backend: { database: db.config() },
              permission: { enabled: true },
              catalog: {
                ...demoCatalogConfig,
                processingInterval: { seconds: 1 },
              },
            },
          }),
        ],
      });
      server = backend.server;
      stop = () => backend.stop();

      // Wait for the demo organisation to be ingested (as a service: no permission check involved).
      for (let i = 0; i < 240; i++) {
        const res = await request(server)
          .get(
            '/api/catalog/entities/by-name/component/default/fraud-scoring-service',
          )
          .set('Authorization', mockCredentials.service.header());
        if (res.status === 200) break;
        await new Promise(r => setTimeout(r, 250));
      }
    }, 120_000);

    afterAll(async () => {
      await stop?.();
      await db.cleanup();
    }, 60_000);

    async function decide(user: string, name: string, action: string) {
      const res = await request(server)
        .post('/api/permission/authorize')
        .set('Authorization', as(user))
        .send({
          items: [
            {
              id: '1',
              permission: { type: 'basic', name, attributes: { action } },
            },
          ],
        });
      expect(res.status).toBe(200);
      return res.body.items[0].result;
    }

    it('gives a platform admin every permission, with roles read from the ingested catalog', async () => {
      expect(
        await decide('noah.kim', 'catalog.location.delete', 'delete'),
      ).toBe('ALLOW');
      expect(
        await decide('noah.kim', 'some-plugin.widget.update', 'update'),
      ).toBe('ALLOW');
    });

    it('denies writes nobody granted to a data engineer and a compliance manager', async () => {
      expect(await decide('guest', 'catalog.location.delete', 'delete')).toBe(
        'DENY',
      );
      expect(
        await decide('daniel.moreau', 'some-plugin.widget.update', 'update'),
      ).toBe('DENY');
      expect(await decide('guest', 'catalog.entity.create', 'create')).toBe(
        'ALLOW',
      );
    });
  },
);
