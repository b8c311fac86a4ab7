import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { complianceApiRef } from '../../api';
import {
  churnModel,
  mockComplianceApi,
  scorecardFixture,
} from '../../__testUtils__/fixtures';
import { EntityComplianceCard } from './EntityComplianceCard';

async function notFound() {
  return ResponseError.fromResponse({
    ok: false,
    status: 404,
    statusText: 'Not Found',
    url: 'http://forge.test/api/compliance/scorecards/component/default/churn-model',
    headers: new Headers({ 'content-type': 'application/json' }),
    text: async () =>
      JSON.stringify({
        error: {
          name: 'NotFoundError',
          message: 'component:default/churn-model has not been evaluated',
        },
        request: {
          method: 'GET',
          url: '/scorecards/component/default/churn-model',
        },
        response: { statusCode: 404 },
      }),
  } as any);
}

function render(api: ReturnType<typeof mockComplianceApi>) {
  return renderInTestApp(
    <EntityProvider entity={churnModel}>
      <EntityComplianceCard />
    </EntityProvider>,
    {
      apis: [[complianceApiRef, api]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

describe('EntityComplianceCard', () => {
  it('shows the score, the level and the three most important failing checks with their fix', async () => {
    const api = mockComplianceApi({
      getScorecard: jest.fn(async () => scorecardFixture()),
    });
    await render(api);

    expect(
      await screen.findByRole('img', { name: 'compliance score 61 of 100' }),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('level bronze')).toHaveTextContent('bronze');
    expect(screen.getByText('2 of 6 decided checks pass')).toBeInTheDocument();

    const top = screen.getByRole('list', { name: 'top failing checks' });
    const items = within(top).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    expect(items[0]).toHaveTextContent('No critical vulnerabilities');
    expect(items[0]).toHaveTextContent(
      'Fix: Upgrade the dependencies with critical findings, then rerun the scan.',
    );
    expect(top).not.toHaveTextContent('CI tests pass on the default branch');
    expect(
      screen.getByText('Top failing checks (4 failing)'),
    ).toBeInTheDocument();
    expect(api.getScorecard).toHaveBeenCalledWith(
      'component:default/churn-model',
    );
    expect(
      screen.getByText('All checks, history and exemptions').closest('a'),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/churn-model/compliance',
    );
  });

  it('shows a new project waiting for its first CI evidence as pending, with the date it fails, not as failing', async () => {
    const api = mockComplianceApi({
      getScorecard: jest.fn(async () =>
        scorecardFixture({
          score: 100,
          level: 'gold',
          levelProvisional: true,
          pending: 2,
          nextDueAt: '2026-12-03T09:00:00.000Z',
          results: scorecardFixture().results.map(r => {
            if (r.status !== 'fail' && r.status !== 'error') return r;
            // CI's evidence is awaited; everything else decidable now passes.
            return r.checkId.startsWith('security.') ||
              r.checkId.startsWith('ci.')
              ? {
                  ...r,
                  status: 'pending' as const,
                  dueAt: '2026-12-03T09:00:00.000Z',
                }
              : { ...r, status: 'pass' as const };
          }),
        }),
      ),
    });
    await render(api);
    await screen.findByRole('img', { name: 'compliance score 100 of 100' });
    const pending = scorecardFixture().results.filter(
      r =>
        (r.status === 'fail' || r.status === 'error') &&
        (r.checkId.startsWith('security.') || r.checkId.startsWith('ci.')),
    ).length;
    expect(
      screen.getByText(
        new RegExp(`^${pending} pending: awaiting CI evidence until`),
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent(
      /Every decided check passes, so the level is gold, provisionally\. \d checks? waits? for the project's first CI run/,
    );
    // Born at the top level, marked provisional (not bronze, and not a plain gold either).
    expect(screen.getByLabelText('level gold, provisional')).toHaveTextContent(
      'gold · provisional',
    );
    expect(
      screen.queryByRole('list', { name: 'top failing checks' }),
    ).toBeNull();
  });

  it('evaluates on demand and shows the new score', async () => {
    const api = mockComplianceApi({
      getScorecard: jest.fn(async () => scorecardFixture()),
      evaluateNow: jest.fn(async () =>
        scorecardFixture({
          score: 100,
          level: 'gold',
          results: scorecardFixture().results.map(r => ({
            ...r,
            status: r.status === 'fail' ? 'pass' : r.status,
          })),
        }),
      ),
    });
    await render(api);
    await screen.findByRole('img', { name: 'compliance score 61 of 100' });

    await userEvent.click(screen.getByRole('button', { name: 'Evaluate now' }));

    expect(
      await screen.findByRole('img', { name: 'compliance score 100 of 100' }),
    ).toBeInTheDocument();
    expect(api.evaluateNow).toHaveBeenCalledWith(
      'component:default/churn-model',
    );
    expect(screen.getByLabelText('level gold')).toBeInTheDocument();
    expect(
      screen.getByText('Every applicable check passes.'),
    ).toBeInTheDocument();
  });

  it('says when the entity has not been evaluated yet and offers to evaluate it', async () => {
    const api = mockComplianceApi({
      getScorecard: jest.fn(async () => {
        throw await notFound();
      }),
      evaluateNow: jest.fn(async () => scorecardFixture()),
    });
    await render(api);

    expect(
      await screen.findByText(/has not been evaluated yet/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Evaluate now' }));
    expect(
      await screen.findByRole('img', { name: 'compliance score 61 of 100' }),
    ).toBeInTheDocument();
  });

  it('shows what went wrong when the backend fails', async () => {
    const api = mockComplianceApi({
      getScorecard: jest.fn(async () => {
        throw new Error('compliance backend unreachable');
      }),
    });
    await render(api);
    expect(
      await screen.findByText('Error: compliance backend unreachable'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Evaluate now' }),
    ).not.toBeInTheDocument();
  });
});
