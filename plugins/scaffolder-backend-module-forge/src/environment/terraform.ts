import { DataClassification } from '@internal/plugin-compliance-common';

/** How the project's storage is encrypted at rest (the values of the `forge.io/encryption` annotation). */
export type Encryption = 'cmk' | 'kms' | 'sse-s3';

/** Confidential and restricted data get a key of their own; internal data the provider's managed KMS key. */
export function encryptionFor(classification: DataClassification): Encryption {
  if (classification === 'restricted' || classification === 'confidential') return 'cmk';
  if (classification === 'internal') return 'kms';
  return 'sse-s3';
}

const SSE_BY_ENCRYPTION: Record<Encryption, object> = {
  'sse-s3': { sse_algorithm: 'AES256' },
  kms: { sse_algorithm: 'aws:kms' },
  cmk: { sse_algorithm: 'aws:kms', kms_master_key_id: '${aws_kms_key.project.arn}' },
};

export interface ProjectStorage {
  bucket: string;
  endpoint: string;
  encryption: Encryption;
  retentionDays: number;
}

/**
 * Terraform (JSON syntax, so it is generated and checked as data) for the project's object storage: a bucket with
 * encryption and retention set by classification, public access blocked, TLS enforced, versioning on, and the IAM
 * role the namespace's ServiceAccount assumes through workload identity, allowed that bucket and nothing else.
 */
export function renderStorageTerraform(options: {
  project: string;
  namespace: string;
  region: string;
  owner: string;
  classification: DataClassification;
  storage: ProjectStorage;
  /** IAM role name the ServiceAccount is annotated with (AWS IRSA), when there is one. */
  workloadRoleName?: string;
  tags: Record<string, string>;
}): object {
  const { storage } = options;
  const bucketRef = '${aws_s3_bucket.project.id}';
  const resource: Record<string, Record<string, object>> = {};

  if (storage.encryption === 'cmk') {
    resource.aws_kms_key = {
      project: {
        description: `Forge ${options.namespace}: ${options.classification} data of ${options.project}`,
        enable_key_rotation: true,
        deletion_window_in_days: 30,
      },
    };
    resource.aws_kms_alias = {
      project: {
        name: `alias/forge/${options.namespace}`,
        target_key_id: '${aws_kms_key.project.key_id}',
      },
    };
  }
  resource.aws_s3_bucket = {
    project: { bucket: storage.bucket, force_destroy: false },
  };
  resource.aws_s3_bucket_public_access_block = {
    project: {
      bucket: bucketRef,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    },
  };
  resource.aws_s3_bucket_versioning = {
    project: { bucket: bucketRef, versioning_configuration: [{ status: 'Enabled' }] },
  };
  resource.aws_s3_bucket_server_side_encryption_configuration = {
    project: {
      bucket: bucketRef,
      rule: [
        {
          apply_server_side_encryption_by_default: [SSE_BY_ENCRYPTION[storage.encryption]],
          bucket_key_enabled: storage.encryption !== 'sse-s3',
        },
      ],
    },
  };
  resource.aws_s3_bucket_lifecycle_configuration = {
    project: {
      bucket: bucketRef,
      rule: [
        {
          id: 'retention',
          status: 'Enabled',
          filter: [{}],
          expiration: [{ days: storage.retentionDays }],
          noncurrent_version_expiration: [{ noncurrent_days: 30 }],
        },
      ],
    },
  };
  resource.aws_s3_bucket_policy = {
    project: {
      bucket: bucketRef,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [
              `arn:aws:s3:::${storage.bucket}`,
              `arn:aws:s3:::${storage.bucket}/*`,
            ],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    },
  };

  const variable: Record<string, object> = {};
  const output: Record<string, object> = {
    bucket: { value: bucketRef },
  };
  if (options.workloadRoleName) {
    variable.oidc_provider_arn = {
      type: 'string',
      description: 'ARN of the cluster OIDC provider (IRSA)',
    };
    variable.oidc_provider_host = {
      type: 'string',
      description: 'Host of the cluster OIDC issuer, without https://',
    };
    resource.aws_iam_role = {
      workload: {
        name: options.workloadRoleName,
        assume_role_policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: '${var.oidc_provider_arn}' },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: {
                  '${var.oidc_provider_host}:sub': `system:serviceaccount:${options.namespace}:${options.project}`,
                },
              },
            },
          ],
        }),
      },
    };
    const statements: object[] = [
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: [`arn:aws:s3:::${storage.bucket}`, `arn:aws:s3:::${storage.bucket}/*`],
      },
    ];
    if (storage.encryption === 'cmk') {
      statements.push({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: ['${aws_kms_key.project.arn}'],
      });
    }
    resource.aws_iam_role_policy = {
      workload: {
        name: 'project-storage',
        role: '${aws_iam_role.workload.id}',
        policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      },
    };
    output.workload_role_arn = { value: '${aws_iam_role.workload.arn}' };
  }
  if (storage.encryption === 'cmk') {
    output.kms_key_arn = { value: '${aws_kms_key.project.arn}' };
  }

  return {
    '//': `Environment request ${options.namespace}: generated by Forge. Change it through Forge or a reviewed pull request.`,
    terraform: {
      required_version: '>= 1.5.0',
      required_providers: { aws: { source: 'hashicorp/aws', version: '~> 5.0' } },
    },
    ...(Object.keys(variable).length ? { variable } : {}),
    provider: {
      aws: [{ region: options.region, default_tags: [{ tags: options.tags }] }],
    },
    resource,
    output,
  };
}
