import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity, useEntityRefLink } from '@backstage/plugin-catalog-react';
import {
  CostAlert,
  GroupCostSummary,
} from '@internal/plugin-cost-insights-common';
import {
  Box,
  Button,
  Grid,
  List,
  ListItem,
  ListItemText,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { Alert, ToggleButton, ToggleButtonGroup } from '@material-ui/lab';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { costApiRef } from '../../api';
import {
  BudgetBar,
  BudgetDialog,
  ChangeChip,
  DailyCostChart,
  ForecastChart,
  RecommendationList,
  Stat,
  formatCurrency,
  formatDay,
  useCanManageBudgets,
} from '../shared';

const SEVERITY: Record<CostAlert['kind'], 'error' | 'warning' | 'info'> = {
  budget: 'error',
  anomaly: 'warning',
  projectGrowth: 'warning',
  unlabeledDataflow: 'info',
};

function Movers({ summary }: { summary: GroupCostSummary }) {
  const entityLink = useEntityRefLink();
  if (summary.topMovers.length === 0) {
    return <Typography variant="body2">No entity's cost moved.</Typography>;
  }
  return (
    <Table size="small" aria-label="top movers">
      <TableHead>
        <TableRow>
          <TableCell>Entity</TableCell>
          <TableCell align="right">Last 30 days</TableCell>
          <TableCell align="right">30 days before</TableCell>
          <TableCell align="right">Change</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {summary.topMovers.map(m => (
          <TableRow key={m.entityRef ?? 'unattributed'}>
            <TableCell>
              {m.entityRef ? (
                <Link to={`${entityLink(m.entityRef)}/cost`}>{m.name}</Link>
              ) : (
                m.name
              )}
            </TableCell>
            <TableCell align="right">
              {formatCurrency(m.current, summary.currency)}
            </TableCell>
            <TableCell align="right">
              {formatCurrency(m.previous, summary.currency)}
            </TableCell>
            <TableCell align="right">
              <ChangeChip change={m.change} currency={summary.currency} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * A team's cost: daily cost by entity or service, budget against actual and forecast for the month, the
 * entities whose cost moved most, its sub-teams, alerts and recommendations.
 */
export function GroupCostContent() {
  const { entity } = useEntity();
  const groupRef = stringifyEntityRef(entity);
  const costApi = useApi(costApiRef);
  const entityLink = useEntityRefLink();
  const canManage = useCanManageBudgets();
  const [dimension, setDimension] = useState<'entity' | 'service'>('entity');
  const [editing, setEditing] = useState(false);
  const [version, setVersion] = useState(0);

  const summary = useAsync(
    () => costApi.getGroupSummary(groupRef, 90),
    [costApi, groupRef, version],
  );
  const alerts = useAsync(
    () => costApi.getGroupAlerts(groupRef),
    [costApi, groupRef, version],
  );
  const recommendations = useAsync(
    () => costApi.getRecommendations(groupRef),
    [costApi, groupRef, version],
  );

  if (summary.loading && !summary.value) return <Progress />;
  if (summary.error) return <ResponseErrorPanel error={summary.error} />;
  const s = summary.value!;
  const currency = s.currency;
  const total = s.daily.aggregation.reduce((sum, d) => sum + d.amount, 0);
  // A team without sub-teams has only its own line: nothing to compare.
  const hasSubTeams = s.subGroups.some(g => g.key !== groupRef);

  return (
    <Grid container spacing={3}>
      <Grid item xs={12} md={3}>
        <Stat
          label="Last 90 days"
          value={formatCurrency(total, currency)}
          amount={total}
          large
        />
      </Grid>
      <Grid item xs={12} md={3}>
        <Stat
          label="Month to date"
          value={formatCurrency(s.monthToDate, currency)}
          amount={s.monthToDate}
          large
          detail={
            <Typography variant="caption" color="textSecondary">
              to {formatDay(s.lastCompleteBillingDate)}
            </Typography>
          }
        />
      </Grid>
      <Grid item xs={12} md={3}>
        <Stat
          label="Forecast month end"
          value={formatCurrency(s.forecast.monthEnd.amount, currency)}
          amount={s.forecast.monthEnd.amount}
          large
          detail={
            <Typography variant="caption" color="textSecondary">
              {formatCurrency(s.forecast.monthEnd.lower, currency)} to{' '}
              {formatCurrency(s.forecast.monthEnd.upper, currency)}
            </Typography>
          }
        />
      </Grid>
      <Grid item xs={12} md={3}>
        {s.budget ? (
          <BudgetBar budget={s.budget} />
        ) : (
          <Typography variant="body2" color="textSecondary">
            No monthly budget for this team.
          </Typography>
        )}
        {canManage && (
          <Button size="small" onClick={() => setEditing(true)}>
            {s.budget ? 'Change budget' : 'Set budget'}
          </Button>
        )}
      </Grid>

      <Grid item xs={12} lg={8}>
        <InfoCard
          title="Daily cost"
          subheader={`${formatDay(s.start)} to ${formatDay(
            s.lastCompleteBillingDate,
          )}, sub-teams included`}
          action={
            <ToggleButtonGroup
              exclusive
              size="small"
              value={dimension}
              onChange={(_e, v) => v && setDimension(v)}
              aria-label="break down by"
            >
              <ToggleButton value="entity">By entity</ToggleButton>
              <ToggleButton value="service">By service</ToggleButton>
            </ToggleButtonGroup>
          }
        >
          <DailyCostChart
            cost={s.daily}
            dimension={dimension}
            currency={currency}
            title={`daily cost by ${dimension}`}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} lg={4}>
        <InfoCard
          title="Budget, actual and forecast"
          subheader="This month, cumulative"
        >
          <ForecastChart
            mode="month"
            history={s.daily.aggregation}
            forecast={s.forecast}
            budget={s.budget?.monthlyAmount}
            currency={currency}
            title="budget against actual and forecast"
          />
        </InfoCard>
      </Grid>

      <Grid item xs={12} md={6}>
        <InfoCard
          title="Top movers"
          subheader="Last 30 days against the 30 before"
        >
          <Movers summary={s} />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Alerts">
          {alerts.loading && <Progress />}
          {alerts.error && <ResponseErrorPanel error={alerts.error} />}
          {alerts.value && alerts.value.length === 0 && (
            <Typography variant="body2">No cost alerts.</Typography>
          )}
          {alerts.value?.map(a => (
            <Box mb={1} key={`${a.kind}:${a.title}`}>
              <Alert severity={SEVERITY[a.kind]}>
                <strong>{a.title}</strong> {a.subtitle}
              </Alert>
            </Box>
          ))}
        </InfoCard>
      </Grid>

      {hasSubTeams && (
        <Grid item xs={12} md={6}>
          <InfoCard title="Sub-teams" subheader="Last 90 days">
            <List dense aria-label="sub-teams">
              {s.subGroups.map(g => (
                <ListItem key={g.key} divider>
                  <ListItemText
                    primary={
                      g.key === groupRef ? (
                        `${g.name} (directly)`
                      ) : (
                        <Link to={`${entityLink(g.key)}/cost`}>{g.name}</Link>
                      )
                    }
                    secondary={formatCurrency(g.amount, currency)}
                  />
                  <ChangeChip change={g.change} currency={currency} />
                </ListItem>
              ))}
            </List>
          </InfoCard>
        </Grid>
      )}
      <Grid item xs={12} md={hasSubTeams ? 6 : 12}>
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
      {editing && (
        <BudgetDialog
          open
          entityRef={groupRef}
          name={s.name}
          current={s.budget}
          onClose={changed => {
            setEditing(false);
            if (changed) setVersion(v => v + 1);
          }}
        />
      )}
    </Grid>
  );
}
