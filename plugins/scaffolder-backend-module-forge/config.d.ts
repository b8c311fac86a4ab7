export interface Config {
  forge?: {
    /**
     * Where the portal writes what it generates at run time; published repositories of the embedded default
     * live under `<dataDir>/git`. Relative paths are relative to the backend's working directory.
     */
    dataDir?: string;

    /** Blueprints: the price catalog, limits, allowed regions, environments and where projects are published. */
    blueprints?: {
      /**
       * Billing currency of every price below (ISO 4217), e.g. USD; the portal shows estimates in it.
       * @visibility frontend
       */
      currency?: string;
      /** Regions a blueprint may deploy to; the gate refuses any other. */
      regions?: string[];

      /** The price catalog the monthly estimates are computed from. */
      pricing?: {
        /** Hours in a month for always-on workloads (default 730). */
        hoursPerMonth?: number;
        /** Compute profiles by name: vCPUs, memory and the price of one replica per hour. */
        computeProfiles?: {
          [name: string]: {
            title?: string;
            cpu: number;
            memoryGi: number;
            hourly: number;
          };
        };
        /** GPU types by name (e.g. nvidia-t4): the price of one GPU per hour. */
        gpuTypes?: {
          [name: string]: {
            title?: string;
            memoryGi?: number;
            hourly: number;
          };
        };
        /** Storage classes by name (e.g. block, object): the price of one GiB per month. */
        storage?: {
          [name: string]: {
            title?: string;
            perGiBMonth: number;
          };
        };
        /** Managed services by name (e.g. mlflow-tracking): a flat monthly price. */
        managedServices?: {
          [name: string]: {
            title?: string;
            monthly: number;
          };
        };
        /**
         * Cost limits: above `approvalThreshold` a new project needs an approval, above `hardLimit` it is refused.
         * `groups` overrides the default per group (by group name or full ref).
         */
        limits?: {
          default?: { approvalThreshold: number; hardLimit: number };
          groups?: {
            [group: string]: { approvalThreshold: number; hardLimit: number };
          };
        };
      };

      /** What the environment request renders. */
      environment?: {
        /** Workload identity of the namespace's ServiceAccount. */
        workloadIdentity?: {
          /** aws (IRSA), gcp (GKE workload identity) or azure (Entra workload identity). */
          provider: 'aws' | 'gcp' | 'azure';
          /**
           * The identity to bind, with `{namespace}` and `{name}` placeholders, e.g.
           * `arn:aws:iam::123456789012:role/forge-{namespace}`.
           */
          identityTemplate: string;
        };
        /** Prefix of the Kubernetes group bound to the owning team (the OIDC group claim), e.g. `oidc:`. */
        groupPrefix?: string;
        /**
         * Network ranges behind data source hosts, for the egress rules: host suffix or URL scheme (`s3`) to CIDRs.
         * Hosts that match none get `defaultEgressCidrs`.
         */
        egressCidrs?: { [hostSuffixOrScheme: string]: string[] };
        defaultEgressCidrs?: string[];
        /** Retention in days of the project's own storage by classification. */
        retentionDays?: {
          public?: number;
          internal?: number;
          confidential?: number;
          restricted?: number;
        };
      };

      /**
       * Where projects and environment requests are published. `local` (the embedded default) keeps bare git
       * repositories under `<dataDir>/git`; the others use Backstage's own publish actions with the integration
       * configured under `integrations`.
       */
      publish?: {
        provider?: 'local' | 'github' | 'gitlab' | 'bitbucketServer' | 'azure';
        /** SCM host, e.g. github.com, gitlab.example.com, dev.azure.com. */
        host?: string;
        /** GitHub organisation, GitLab group, Bitbucket project key or Azure DevOps organisation. */
        organization?: string;
        /** Azure DevOps project (azure only). */
        project?: string;
        defaultBranch?: string;
        /** Repository names get the owning group's name as prefix (`<group>-<project>`) when true. */
        prefixWithOwner?: boolean;
        /** The GitOps repository that receives environment requests. */
        gitops?: {
          repository?: string;
          /** Organisation of the GitOps repository if not the same as above. */
          organization?: string;
          /** Folder in the GitOps repository that holds one folder per environment. */
          path?: string;
        };
      };
    };
  };
}
