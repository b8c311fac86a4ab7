import { actorOf, callerOf } from './callers';
import { entityRefKey, normalizeEntityRef, sameEntityRef } from './entityRefs';
import { mockCredentials } from '@backstage/backend-test-utils';

describe('entity refs', () => {
  it('normalises kind and namespace with the catalog helpers, filling in defaults', () => {
    expect(normalizeEntityRef('Component:Default/churn-model')).toBe(
      'component:default/churn-model',
    );
    expect(
      normalizeEntityRef('churn-model', { defaultKind: 'component' }),
    ).toBe('component:default/churn-model');
    expect(() => normalizeEntityRef('user:', { field: 'onBehalfOf' })).toThrow(
      "onBehalfOf 'user:' is not an entity reference",
    );
  });

  it('compares people without regard to case, as the catalog does', () => {
    expect(
      sameEntityRef('user:default/Daniel.Moreau', 'user:default/daniel.moreau'),
    ).toBe(true);
    expect(
      sameEntityRef('User:Default/daniel.moreau', 'user:default/DANIEL.MOREAU'),
    ).toBe(true);
    expect(
      sameEntityRef('user:default/daniel.moreau', 'user:default/noah.kim'),
    ).toBe(false);
    expect(entityRefKey('user:Default/Daniel.Moreau')).toBe(
      'user:default/daniel.moreau',
    );
  });
});

describe('actor naming', () => {
  it('names users by their ref and services as service:<subject>, the same way everywhere', () => {
    expect(actorOf(mockCredentials.user('User:default/guest'))).toBe(
      'user:default/guest',
    );
    expect(actorOf(mockCredentials.service('ci'))).toBe('service:ci');
    expect(actorOf(mockCredentials.service('plugin:scaffolder'))).toBe(
      'service:plugin:scaffolder',
    );
    expect(() => callerOf(mockCredentials.none())).toThrow("not 'none'");
  });
});
