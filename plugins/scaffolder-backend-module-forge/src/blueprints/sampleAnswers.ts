/** What a data scientist would answer in each blueprint's form; used by the rendering tests and the benchmark. */
export const SAMPLE_ANSWERS: Record<string, Record<string, unknown>> = {
  'ml-training-pipeline': {
    name: 'lapse-predictor',
    description: 'Predicts which motor policies lapse at renewal so retention can call them first.',
    owner: 'group:default/retention-analytics',
    system: 'system:default/customer-retention',
    dataSources: ['resource:default/policy-events-stream', 'resource:default/telematics-trips'],
    containsPii: false,
    region: 'eu-west-1',
    profile: 'large',
    gpuType: 'nvidia-t4',
    gpuCount: 1,
    trainingHours: 60,
    storageGi: 200,
    lifecycle: 'experimental',
  },
};
