// Infrastructure (stateful): the cases table. Its keys and indexes come from the schema module the repository uses,
// so the table and the code that queries it cannot disagree. The local stack creates its DynamoDB Local table from this
// resource's properties, which are CreateTable-shaped (keys, indexes, stream).
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, type CfnTable, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { CASE_INDEXES, projectionFor, TABLE_KEYS, type CaseIndexName } from '../functions/adapters/case-table-schema.ts';

/** Items whose numeric `expiresAt` (epoch seconds) has passed are deleted by DynamoDB (idempotency records). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Pinned so that refactoring the construct tree can never replace (and, with RETAIN, orphan) the table. */
export const CASES_TABLE_LOGICAL_ID = 'CasesTable';

export class CasesTable extends Construct {
  readonly table: Table;
  /** ARNs of the indexes, for read grants that name each index instead of `index/*`. */
  readonly indexArns: string[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The effects consumer (lib/stream-effects.ts) needs both: a new email's item, and a case's timer before and after.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    (this.table.node.defaultChild as CfnTable).overrideLogicalId(CASES_TABLE_LOGICAL_ID);

    for (const [indexName, keys] of Object.entries(CASE_INDEXES) as [CaseIndexName, { partitionKey: string; sortKey: string }][]) {
      const projection = projectionFor(indexName);
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: keys.partitionKey, type: AttributeType.STRING },
        sortKey: { name: keys.sortKey, type: AttributeType.STRING },
        ...(projection === 'KEYS_ONLY'
          ? { projectionType: ProjectionType.KEYS_ONLY }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: projection }),
      });
    }
    this.indexArns = Object.keys(CASE_INDEXES).map((name) => `${this.table.tableArn}/index/${name}`);
  }
}
