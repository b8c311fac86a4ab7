import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Button, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { complianceApiRef } from '../../api';

/** Whether the tamper-evident history is intact: every record, its checkpoints and the tables that must agree with it. */
export function ChainVerification() {
  const api = useApi(complianceApiRef);
  const verification = useAsyncRetry(() => api.verifyHistory(), [api]);
  let content: JSX.Element;
  if (verification.loading) {
    content = <Progress />;
  } else if (verification.error) {
    content = <ResponseErrorPanel error={verification.error} />;
  } else if (verification.value!.ok) {
    const checkpoint = verification.value!.checkpoint;
    content = (
      <Alert severity="success">
        The history is intact: {verification.value!.checked} records checked,
        each with a keyed hash of the one before
        {checkpoint
          ? `, up to the signed checkpoint of record ${checkpoint.seq} (${checkpoint.at})`
          : ''}
        .
      </Alert>
    );
  } else {
    const link = verification.value!.firstBrokenLink;
    content = (
      <Alert severity="error">
        The history has been altered. {verification.value!.checked} records
        checked; the first broken or missing record is{' '}
        {link?.record ?? `record ${link?.seq}`}
        {link?.table ? ` in ${link.table}` : ''}: {link?.reason}.
        <Typography variant="caption" component="div">
          record seq {link?.seq}; expected {link?.expectedHash || '-'}, stored{' '}
          {link?.storedHash || '-'}
        </Typography>
      </Alert>
    );
  }
  return (
    <InfoCard title="History chain">
      {content}
      <Box mt={1}>
        <Button
          size="small"
          onClick={() => verification.retry()}
          disabled={verification.loading}
        >
          Verify again
        </Button>
      </Box>
    </InfoCard>
  );
}
