import {
  Content,
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Grid,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { ToggleButton, ToggleButtonGroup } from '@material-ui/lab';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { costApiRef } from '../../api';
import {
  BudgetBar,
  DailyCostChart,
  RecommendationList,
  Stat,
  formatCurrency,
  formatDay,
  formatPercent,
  shortRef,
} from '../shared';
import { BillingData } from './BillingData';
import { BreakdownBars } from './BreakdownBars';

/**
 * The organisation overview for managers: what the organisation spends and where it is heading, by team,
 * provider and service category, every budget, anomalies, recommendations and the billing data behind it.
 */
export function CostOverviewPage() {
  const costApi = useApi(costApiRef);
  const entityLink = useEntityRefLink();
  const [days, setDays] = useState(30);
  const [version, setVersion] = useState(0);
  const overview = useAsync(
    () => costApi.getOverview(days),
    [costApi, days, version],
  );
  const recommendations = useAsync(
    () => costApi.getRecommendations(),
    [costApi, version],
  );
  const anomalies = useAsync(
    () => costApi.getAnomalies(undefined, 30),
    [costApi, version],
  );

  if (overview.loading && !overview.value) return <Progress />;
  if (overview.error) return <ResponseErrorPanel error={overview.error} />;
  const o = overview.value!;
  const currency = o.currency;

  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <ToggleButtonGroup
            exclusive
            size="small"
            value={days}
            onChange={(_e, v) => v && setDays(v)}
            aria-label="range"
          >
            {[30, 90].map(r => (
              <ToggleButton key={r} value={r}>
                Last {r} days
              </ToggleButton>
            ))}
          </ToggleButtonGroup>
          <Typography
            variant="caption"
            color="textSecondary"
            style={{ marginLeft: 16 }}
          >
            Billing data to {formatDay(o.lastCompleteBillingDate)}
          </Typography>
        </Grid>
        <Grid item xs={12} md={3}>
          <Stat
            label={`Last ${days} days`}
            value={formatCurrency(o.total, currency)}
            amount={o.total}
            large
          />
        </Grid>
        <Grid item xs={12} md={3}>
          <Stat
            label="Month to date"
            value={formatCurrency(o.monthToDate, currency)}
            amount={o.monthToDate}
            large
          />
        </Grid>
        <Grid item xs={12} md={3}>
          <Stat
            label="Forecast month end"
            value={formatCurrency(o.forecast.monthEnd.amount, currency)}
            amount={o.forecast.monthEnd.amount}
            large
            detail={
              <Typography variant="caption" color="textSecondary">
                next 90 days{' '}
                {formatCurrency(o.forecast.next90Days.amount, currency)}
              </Typography>
            }
          />
        </Grid>
        <Grid item xs={12} md={3}>
          <Stat
            label="Unattributed"
            value={formatCurrency(o.unattributed, currency)}
            amount={o.unattributed}
            large
            detail={
              <Typography variant="caption" color="textSecondary">
                {o.total > 0 ? formatPercent(o.unattributed / o.total) : '0%'}{' '}
                of spend matches no catalog entity
              </Typography>
            }
          />
        </Grid>

        <Grid item xs={12}>
          <InfoCard
            title="Daily cost by department"
            subheader={`${formatDay(o.start)} to ${formatDay(
              o.lastCompleteBillingDate,
            )}`}
          >
            <DailyCostChart
              cost={o.daily}
              dimension="group"
              currency={currency}
              title="daily cost by department"
            />
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <InfoCard title="By provider">
            <BreakdownBars
              rows={o.byProvider}
              currency={currency}
              title="cost by provider"
            />
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <InfoCard title="By service category">
            <BreakdownBars
              rows={o.byServiceCategory}
              currency={currency}
              title="cost by service category"
            />
          </InfoCard>
        </Grid>

        <Grid item xs={12} lg={6}>
          <InfoCard
            title="Budgets this month"
            subheader="Highest forecast first"
          >
            <Table size="small" aria-label="budgets">
              <TableHead>
                <TableRow>
                  <TableCell>Team or entity</TableCell>
                  <TableCell style={{ width: '55%' }}>
                    Used and forecast
                  </TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {o.budgets.map(b => (
                  <TableRow key={b.entityRef}>
                    <TableCell>
                      <Link to={`${entityLink(b.entityRef)}/cost`}>
                        {b.name ?? shortRef(b.entityRef)}
                      </Link>
                    </TableCell>
                    <TableCell>
                      <BudgetBar budget={b} />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </InfoCard>
        </Grid>
        <Grid item xs={12} lg={6}>
          <InfoCard title="Recommendations">
            {recommendations.loading && <Progress />}
            {recommendations.error && (
              <ResponseErrorPanel error={recommendations.error} />
            )}
            {recommendations.value && (
              <RecommendationList recommendations={recommendations.value} />
            )}
          </InfoCard>
        </Grid>
        <Grid item xs={12} lg={6}>
          <InfoCard
            title="Anomalies"
            subheader="Spikes against the trailing baseline, last 30 days"
          >
            {anomalies.error && <ResponseErrorPanel error={anomalies.error} />}
            {anomalies.value && anomalies.value.length === 0 && (
              <Typography variant="body2">No anomalies.</Typography>
            )}
            {anomalies.value && anomalies.value.length > 0 && (
              <Table size="small" aria-label="anomalies">
                <TableHead>
                  <TableRow>
                    <TableCell>Day</TableCell>
                    <TableCell>Entity</TableCell>
                    <TableCell>Service</TableCell>
                    <TableCell align="right">Cost</TableCell>
                    <TableCell align="right">Usual</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {anomalies.value.map(a => (
                    <TableRow key={`${a.entityRef}:${a.service}:${a.day}`}>
                      <TableCell>{formatDay(a.day)}</TableCell>
                      <TableCell>
                        {a.entityRef ? (
                          <Link to={`${entityLink(a.entityRef)}/cost`}>
                            {shortRef(a.entityRef)}
                          </Link>
                        ) : (
                          'Unattributed'
                        )}
                      </TableCell>
                      <TableCell>{a.service}</TableCell>
                      <TableCell align="right">
                        {formatCurrency(a.amount, a.currency)}
                      </TableCell>
                      <TableCell align="right">
                        {formatCurrency(a.baseline, a.currency)}
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
          </InfoCard>
        </Grid>
        <Grid item xs={12} lg={6}>
          <InfoCard title="Billing data">
            <BillingData onUploaded={() => setVersion(v => v + 1)} />
          </InfoCard>
        </Grid>
      </Grid>
    </Content>
  );
}
