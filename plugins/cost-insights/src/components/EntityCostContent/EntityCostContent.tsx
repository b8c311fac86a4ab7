import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { addDays, CostLine } from '@internal/plugin-cost-insights-common';
import { Box, Button, Grid, Typography } from '@material-ui/core';
import { ToggleButton, ToggleButtonGroup } from '@material-ui/lab';
import GetAppIcon from '@material-ui/icons/GetApp';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { costApiRef } from '../../api';
import {
  BudgetBar,
  BudgetDialog,
  ChangeChip,
  DailyCostChart,
  ForecastChart,
  Stat,
  formatCurrency,
  formatDay,
  useCanManageBudgets,
} from '../shared';

const RANGES = [30, 90, 180];

/** Saves a blob as a file the way browsers download links. */
function download(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

/**
 * The entity's Cost tab: daily cost by service over a chosen range, the forecast, budget burn, the breakdown
 * table (service, provider, region, sub-account, charge category) and a CSV export of the daily lines.
 */
export function EntityCostContent() {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const costApi = useApi(costApiRef);
  const canManage = useCanManageBudgets();
  const [days, setDays] = useState(30);
  const [editing, setEditing] = useState(false);
  const [version, setVersion] = useState(0);

  const summary = useAsync(
    () => costApi.getEntitySummary(entityRef),
    [costApi, entityRef, version],
  );
  const asOf = summary.value?.lastCompleteBillingDate;
  const range = asOf
    ? { start: addDays(asOf, 1 - days), end: addDays(asOf, 1) }
    : undefined;
  const breakdown = useAsync(
    async () =>
      range ? costApi.getEntityBreakdown(entityRef, range) : undefined,
    [costApi, entityRef, range?.start, range?.end],
  );
  const [exporting, exportCsv] = useAsyncFn(async () => {
    const { blob, fileName } = await costApi.exportEntityCsv(entityRef, range);
    download(blob, fileName);
  }, [costApi, entityRef, range?.start, range?.end]);

  if (summary.loading && !summary.value) return <Progress />;
  if (summary.error) return <ResponseErrorPanel error={summary.error} />;
  const s = summary.value!;
  const b = breakdown.value;
  const currency = s.currency;

  const columns: TableColumn<CostLine>[] = [
    { title: 'Service', field: 'serviceName', highlight: true },
    { title: 'Category', field: 'serviceCategory' },
    { title: 'Provider', field: 'provider' },
    { title: 'Region', field: 'region' },
    { title: 'Sub-account', field: 'subAccountId' },
    { title: 'Charge', field: 'chargeCategory' },
    {
      title: 'Cost',
      field: 'amount',
      type: 'numeric',
      defaultSort: 'desc',
      render: line => formatCurrency(line.amount, currency),
    },
    {
      title: 'List cost',
      field: 'listCost',
      type: 'numeric',
      render: line => formatCurrency(line.listCost, currency),
    },
  ];

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <Box
          display="flex"
          alignItems="center"
          justifyContent="space-between"
          flexWrap="wrap"
        >
          <ToggleButtonGroup
            exclusive
            size="small"
            value={days}
            onChange={(_e, v) => v && setDays(v)}
            aria-label="range"
          >
            {RANGES.map(r => (
              <ToggleButton key={r} value={r} aria-label={`last ${r} days`}>
                Last {r} days
              </ToggleButton>
            ))}
          </ToggleButtonGroup>
          <Button
            variant="outlined"
            startIcon={<GetAppIcon />}
            onClick={exportCsv}
            disabled={exporting.loading || !range}
          >
            Export CSV
          </Button>
        </Box>
        {exporting.error && <ResponseErrorPanel error={exporting.error} />}
      </Grid>
      <Grid item xs={12} md={3}>
        <Stat
          label={`Last ${days} days`}
          value={b ? formatCurrency(b.total, currency) : '…'}
          amount={b?.total}
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
            <ChangeChip
              change={s.change}
              currency={currency}
              label="30 days vs before"
            />
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
              next 30 days{' '}
              {formatCurrency(s.forecast.next30Days.amount, currency)}, 90 days{' '}
              {formatCurrency(s.forecast.next90Days.amount, currency)}
            </Typography>
          }
        />
      </Grid>
      <Grid item xs={12} md={3}>
        {s.budget ? (
          <BudgetBar budget={s.budget} />
        ) : (
          <Typography variant="body2" color="textSecondary">
            No monthly budget yet.
          </Typography>
        )}
        {canManage && (
          <Button size="small" onClick={() => setEditing(true)}>
            {s.budget ? 'Change budget' : 'Set budget'}
          </Button>
        )}
      </Grid>
      <Grid item xs={12} lg={7}>
        <InfoCard
          title="Daily cost by service"
          subheader={
            range ? `${formatDay(range.start)} to ${formatDay(asOf!)}` : ''
          }
        >
          {breakdown.loading && <Progress />}
          {breakdown.error && <ResponseErrorPanel error={breakdown.error} />}
          {b && (
            <DailyCostChart
              cost={b.daily}
              dimension="service"
              currency={currency}
              title="daily cost by service"
            />
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12} lg={5}>
        <InfoCard title="Forecast" subheader={s.forecast.method}>
          <ForecastChart
            history={b?.daily.aggregation ?? s.last30Days}
            forecast={s.forecast}
            currency={currency}
            title="cost forecast"
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <Table<CostLine>
          title={`Breakdown, last ${days} days`}
          options={{
            paging: true,
            emptyRowsWhenPaging: false,
            pageSize: 10,
            search: true,
            padding: 'dense',
          }}
          columns={columns}
          data={b?.lines ?? []}
          isLoading={breakdown.loading}
        />
      </Grid>
      {editing && (
        <BudgetDialog
          open
          entityRef={entityRef}
          name={entity.metadata.title ?? entity.metadata.name}
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
