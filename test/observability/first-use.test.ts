// SDK clients are built once per cold start: on first use in an on-demand environment (as the bare handler of the
// cold-start benchmarks builds its client), during init where Lambda initialises ahead of any request.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { onFirstUse } from '../../functions/commons/clients/first-use.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('onFirstUse', () => {
  it('builds nothing until the first use, then hands back the same client every time', () => {
    // Arrange
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const build = vi.fn(() => ({ id: Symbol('client') }));
    // Act
    const client = onFirstUse(build);
    // Assess
    expect(build).not.toHaveBeenCalled();
    const first = client();
    expect(client()).toBe(first);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it.each(['provisioned-concurrency', 'snap-start'])('builds during init when the environment is initialised ahead of requests (%s)', (type) => {
    // Arrange
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', type);
    const build = vi.fn(() => ({}));
    // Act
    const client = onFirstUse(build);
    // Assess
    expect(build).toHaveBeenCalledTimes(1);
    client();
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('builds on first use outside Lambda (the local stack, tests)', () => {
    // Arrange
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', undefined);
    const build = vi.fn(() => ({}));
    // Act
    onFirstUse(build);
    // Assess
    expect(build).not.toHaveBeenCalled();
  });

  it('retries a build that threw on the next use (a client is never cached half-made)', () => {
    // Arrange
    const build = vi.fn().mockImplementationOnce(() => { throw new Error('no region'); }).mockImplementation(() => ({ ok: true }));
    const client = onFirstUse(build);
    // Act / Assess
    expect(() => client()).toThrow('no region');
    expect(client()).toEqual({ ok: true });
  });
});
