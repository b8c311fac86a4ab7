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

/** Whether the tamper-evident history is intact: every record chained by hash to the one before. */
export function ChainVerification() {
  const api = useApi(complianceApiRef);
  const verification = useAsyncRetry(() => api.verifyHistory(), [api]);
  let content: JSX.Element;
  if (verification.loading) {
    content = <Progress />;
  } else if (verification.error) {
    content = <ResponseErrorPanel error={verification.error} />;
  } else if (verification.value!.ok) {
    content = (
      <Alert severity="success">
        The history is intact: {verification.value!.checked} records checked,
        each chained by hash to the one before.
      </Alert>
    );
  } else {
    const link = verification.value!.firstBrokenLink;
    content = (
      <Alert severity="error">
        The history has been altered. {verification.value!.checked} records
        checked; the first broken link is record {link?.seq}: {link?.reason}.
        <Typography variant="caption" component="div">
          expected {link?.expectedHash}, stored {link?.storedHash}
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
