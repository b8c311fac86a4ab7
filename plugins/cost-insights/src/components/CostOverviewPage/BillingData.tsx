import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { costUploadPermission } from '@internal/plugin-cost-insights-common';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Box,
  Button,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import CloudUploadIcon from '@material-ui/icons/CloudUpload';
import { ChangeEvent, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { costApiRef } from '../../api';
import { errorMessage } from '../shared';

/** The latest billing files ingested, and (for those permitted) an upload of a FOCUS export. */
export function BillingData(props: { onUploaded: () => void }) {
  const costApi = useApi(costApiRef);
  const canUpload = usePermission({ permission: costUploadPermission }).allowed;
  const [version, setVersion] = useState(0);
  const ingestions = useAsync(
    () => costApi.listIngestions(8),
    [costApi, version],
  );
  const [upload, doUpload] = useAsyncFn(
    async (file: File) => {
      const record = await costApi.uploadExport(file);
      setVersion(v => v + 1);
      props.onUploaded();
      return record;
    },
    [costApi],
  );

  return (
    <Box>
      {canUpload && (
        <Box mb={2}>
          <Button
            variant="outlined"
            component="label"
            startIcon={<CloudUploadIcon />}
            disabled={upload.loading}
          >
            Upload FOCUS export (.csv, .csv.gz)
            <input
              hidden
              type="file"
              accept=".csv,.gz,text/csv,application/gzip"
              onChange={(e: ChangeEvent<HTMLInputElement>) => {
                const file = e.target.files?.[0];
                if (file) doUpload(file);
                e.target.value = '';
              }}
            />
          </Button>
          {upload.loading && <Progress />}
          {upload.error && (
            <Box mt={1}>
              <Alert severity="error">{errorMessage(upload.error)}</Alert>
            </Box>
          )}
          {upload.value && (
            <Box mt={1}>
              <Alert severity="success">
                {upload.value.rowCount} rows of FOCUS{' '}
                {upload.value.focusVersion} ingested;{' '}
                {upload.value.periods.length} billing period(s) replaced.
              </Alert>
            </Box>
          )}
        </Box>
      )}
      {ingestions.error && <ResponseErrorPanel error={ingestions.error} />}
      {ingestions.value && ingestions.value.length === 0 && (
        <Typography variant="body2">
          No billing data has been ingested yet.
        </Typography>
      )}
      {ingestions.value && ingestions.value.length > 0 && (
        <Table size="small" aria-label="latest ingestions">
          <TableHead>
            <TableRow>
              <TableCell>File</TableCell>
              <TableCell>Status</TableCell>
              <TableCell align="right">Rows</TableCell>
              <TableCell>When</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {ingestions.value.map(r => (
              <TableRow key={r.id}>
                <TableCell title={r.location}>
                  {/* A file location is one long word: shortened with an ellipsis (full text as the title), never
                      split mid-word across lines. */}
                  <span
                    style={{
                      display: 'block',
                      maxWidth: '32em',
                      overflow: 'hidden',
                      textOverflow: 'ellipsis',
                      whiteSpace: 'nowrap',
                    }}
                  >
                    {r.location}
                  </span>
                </TableCell>
                <TableCell title={r.error}>{r.status}</TableCell>
                <TableCell align="right" style={{ whiteSpace: 'nowrap' }}>
                  {r.rowCount}
                  {r.rejectedRowCount > 0
                    ? ` (${r.rejectedRowCount} rejected)`
                    : ''}
                </TableCell>
                <TableCell>
                  {new Date(r.startedAt).toLocaleString('en-GB')}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}
