// Infrastructure: the S3 access-log bucket each bucket of ours logs to (cdk-nag S1). A log bucket logs nowhere itself
// (cdk-nag's S1 knows it); it keeps 90 days, survives the stack, and lets CloudFront's standard logs write with ACLs.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export function accessLogsBucket(scope: Construct, id = 'AccessLogs'): Bucket {
  return new Bucket(scope, id, {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ expiration: Duration.days(90) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
