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

describe('entity refs in other spellings', () => {
  it('refuses refs that only look like a valid one: spaces, full-width and look-alike letters, control characters', () => {
    for (const spoof of [
      ' user:default/daniel.moreau',
      'user:default/daniel.moreau ',
      'user:default/ｄaniel.moreau',
      'user:default/dаniel.moreau',
      'user:ｄefault/daniel.moreau',
      'user:default/daniel.moreau\n',
      'user:default/daniel\u200b.moreau',
    ]) {
      expect(() =>
        normalizeEntityRef(spoof, { defaultKind: 'user', field: 'onBehalfOf' }),
      ).toThrow(/onBehalfOf [\s\S]* is not a valid entity reference/);
    }
  });

  it('fills in an omitted kind and namespace, and lower-cases the ref as the catalog compares it', () => {
    expect(normalizeEntityRef('Daniel.Moreau', { defaultKind: 'user' })).toBe(
      'user:default/daniel.moreau',
    );
    expect(normalizeEntityRef('USER:DEFAULT/daniel.moreau')).toBe(
      'user:default/daniel.moreau',
    );
    expect(
      sameEntityRef(
        normalizeEntityRef('Daniel.Moreau', { defaultKind: 'user' }),
        'user:default/daniel.moreau',
      ),
    ).toBe(true);
  });
});
