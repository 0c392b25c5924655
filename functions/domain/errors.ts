// Domain: typed errors. The HTTP layer maps their classes to status codes in one place (functions/commons/http.ts).

/** A field is wrong in a way the schema alone could not tell (e.g. an unknown department). → 400 */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** No such case (or compensation). → 404 */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The action does not fit the case's current state (escalate a closed case, approve twice…). → 409 */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** The client's If-Match names a version that is no longer current, or concurrent writers kept winning. → 409 */
export class VersionConflictError extends ConflictError {
  override name = 'VersionConflictError';
}

/** The Idempotency-Key was used before for a different request. → 409 */
export class IdempotencyKeyReuseError extends ConflictError {
  override name = 'IdempotencyKeyReuseError';
}

/** A signed customer link is invalid, expired, or already used. → 403 (410 would leak less, but 403 is the contract) */
export class InvalidLinkError extends Error {
  override name = 'InvalidLinkError';
}
